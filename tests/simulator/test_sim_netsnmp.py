"""The simulator against the real net-snmp client: v2c community indexing, v3 contexts, faults.

An in-process simulator serves the first 2 gNBs, their UPSes and their
township's OLT uplinks on free loopback ports; ``snmpget``/``snmpbulkwalk``
run as subprocesses and faults go through the HTTP control API.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import pytest

from simulator.server import Simulator
from snmpcodec.ber import OCTET_STRING, oid_to_str, wrap_integer
from tests.simulator.conftest import Control
from tests.simulator.netsnmp import V3_SHA, V3_SHA256, SnmpTimeoutError, get, needs_netsnmp, walk

pytestmark = [pytest.mark.snmpd, needs_netsnmp]

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
IF_MIB = "1.3.6.1.2.1.2.2"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1"
IF_OPER_1 = "1.3.6.1.2.1.2.2.1.8.1"
IF_IN_OCTETS_1 = "1.3.6.1.2.1.2.2.1.10.1"
IF_HC_IN_OCTETS_1 = "1.3.6.1.2.1.31.1.1.1.6.1"
GNB_CELLS = "1.3.6.1.4.1.64990.1.1.1.2"
UPS = "1.3.6.1.2.1.33.1"
UPS_STATUS = f"{UPS}.2.1.0"
UPS_SECONDS = f"{UPS}.2.2.0"
UPS_MINUTES = f"{UPS}.2.3.0"
UPS_SOURCE = f"{UPS}.4.1.0"


async def test_v2c_community_indexing_picks_the_device(sim: Simulator) -> None:
    port = sim.ports.v2c
    assert port
    for device, kind in (("gnb-0001", 1), ("gnb-0002", 1), ("olt-001-a", 2)):
        v = await get(port, device, SYS_NAME, SYS_OBJECT_ID, SYS_DESCR, SYS_UPTIME)
        assert v[SYS_NAME] == device
        assert v[SYS_OBJECT_ID] == f".1.3.6.1.4.1.64990.2.{kind}"
        assert "cunlink simulated" in v[SYS_DESCR]
        assert int(v[SYS_UPTIME]) > 100 * 86400  # booted at least a day ago
    with pytest.raises(SnmpTimeoutError):
        await get(port, "gnb-9999", SYS_NAME, timeout=0.3)


async def test_bulkwalk_returns_exactly_the_model_values(sim: Simulator, control: Control) -> None:
    port = sim.ports.v2c
    assert port
    state = await control.clock(frozen=True)
    for device in ("gnb-0001", "olt-001-b", sim.devices.devices[-1].id):
        got = await walk(port, device, "1.3.6.1")
        dev = sim.devices.get(device)
        expected = sim.devices.layout_of[device].walk(dev, state["now"])
        assert list(got) == [oid_to_str(o) for o, *_ in expected]
        for oid, _name, tag, value in expected:
            text = got[oid_to_str(oid)]
            if isinstance(value, int):
                assert int(text) == wrap_integer(tag, value), oid
            elif tag == OCTET_STRING and isinstance(value, bytes) and value.isascii() and value.isalnum():
                assert text == value.decode(), oid


async def test_gnb_radio_table(sim: Simulator) -> None:
    port = sim.ports.v2c
    assert port
    cells = await walk(port, "gnb-0001", GNB_CELLS)
    n = len(sim.devices.get("gnb-0001").cells)
    assert len(cells) == 13 * n
    names = [cells[f"{GNB_CELLS}.1.2.{i}"] for i in range(1, n + 1)]
    assert names == [f"gnb-0001-c{i}" for i in range(1, n + 1)]
    for i in range(1, n + 1):
        assert cells[f"{GNB_CELLS}.1.5.{i}"] == "1"  # enabled
        assert 0 <= int(cells[f"{GNB_CELLS}.1.6.{i}"]) <= 100


async def test_counters_are_monotonic_over_time(sim: Simulator, control: Control) -> None:
    port = sim.ports.v2c
    assert port
    seen = []
    for _ in range(4):
        v = await get(port, "olt-001-a", IF_HC_IN_OCTETS_1, SYS_UPTIME)
        seen.append((int(v[IF_HC_IN_OCTETS_1]), int(v[SYS_UPTIME])))
        await control.clock(advance=7.0)
    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)


async def test_frozen_clock_gives_equal_reads(sim: Simulator, control: Control) -> None:
    port = sim.ports.v2c
    assert port
    await control.clock(frozen=True)
    first = await get(port, "gnb-0001", IF_HC_IN_OCTETS_1, SYS_UPTIME)
    await asyncio.sleep(0.2)
    second = await get(port, "gnb-0001", IF_HC_IN_OCTETS_1, SYS_UPTIME)
    assert first == second
    state = await control.clock(frozen=False)
    assert state["frozen"] is False
    await asyncio.sleep(0.05)
    third = await get(port, "gnb-0001", IF_HC_IN_OCTETS_1, SYS_UPTIME)
    assert int(third[SYS_UPTIME]) > int(second[SYS_UPTIME])


async def test_counter32_wraps_where_counter64_does_not(sim: Simulator, control: Control) -> None:
    port = sim.ports.v2c
    assert port
    state = await control.clock(frozen=True)
    iface = sim.devices.get("olt-001-a").ifaces[0]
    # Find, in the model, the next instant the 64-bit counter crosses a multiple of 2^32.
    t, step = state["now"], 1.0
    start_block = iface.octets(t, False) >> 32
    while iface.octets(t + step, False) >> 32 == start_block:
        step *= 2
    lo, hi = t, t + step
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if iface.octets(mid, False) >> 32 == start_block else (lo, mid)
    await control.clock(advance=lo - 0.5 - t)
    before = await get(port, "olt-001-a", IF_IN_OCTETS_1, IF_HC_IN_OCTETS_1)
    await control.clock(advance=1.0)
    after = await get(port, "olt-001-a", IF_IN_OCTETS_1, IF_HC_IN_OCTETS_1)
    hc_before, hc_after = int(before[IF_HC_IN_OCTETS_1]), int(after[IF_HC_IN_OCTETS_1])
    assert hc_after > hc_before
    assert int(before[IF_IN_OCTETS_1]) == hc_before % 2**32
    assert int(after[IF_IN_OCTETS_1]) == hc_after % 2**32
    assert int(after[IF_IN_OCTETS_1]) < int(before[IF_IN_OCTETS_1])  # wrapped


@pytest.mark.parametrize("user", [V3_SHA, V3_SHA256], ids=["sha", "sha256"])
async def test_v3_context_serves_the_same_values_as_v2c(
    sim: Simulator, control: Control, user: tuple[str, ...]
) -> None:
    assert sim.ports.v2c
    assert sim.ports.v3
    await control.clock(frozen=True)
    oids = (SYS_NAME, SYS_UPTIME, IF_HC_IN_OCTETS_1, "1.3.6.1.2.1.1.9.0")
    v2 = await get(sim.ports.v2c, "gnb-0002", *oids)
    v3 = await get(sim.ports.v3, "gnb-0002", *oids, v3=user, timeout=3.0)
    assert v3 == v2
    assert v3[SYS_NAME] == "gnb-0002"
    assert "No Such Object" in v3["1.3.6.1.2.1.1.9.0"]


async def test_v3_bulkwalk(sim: Simulator, ups_of: Callable[[str], str]) -> None:
    assert sim.ports.v3
    cells = await walk(sim.ports.v3, "gnb-0001", GNB_CELLS, v3=V3_SHA, timeout=3.0)
    assert len(cells) == 13 * len(sim.devices.get("gnb-0001").cells)
    ups = await walk(sim.ports.v3, ups_of("gnb-0001"), UPS, v3=V3_SHA, timeout=3.0)
    assert ups[UPS_SOURCE] == "3"
    assert ups[UPS_STATUS] == "2"


async def test_down_fault_silences_v2c_and_v3(sim: Simulator, control: Control) -> None:
    assert sim.ports.v2c
    assert sim.ports.v3
    await control.fault("gnb-0001", "down")
    with pytest.raises(SnmpTimeoutError):
        await get(sim.ports.v2c, "gnb-0001", SYS_UPTIME, timeout=0.3)
    with pytest.raises(SnmpTimeoutError):
        await get(sim.ports.v3, "gnb-0001", SYS_UPTIME, v3=V3_SHA, timeout=0.5)
    assert (await get(sim.ports.v2c, "gnb-0002", SYS_NAME))[SYS_NAME] == "gnb-0002"
    assert (await control.clear("gnb-0001"))["cleared"] == ["down"]
    assert (await get(sim.ports.v2c, "gnb-0001", SYS_NAME))[SYS_NAME] == "gnb-0001"


async def test_reboot_fault_resets_uptime_and_counters(sim: Simulator, control: Control) -> None:
    port = sim.ports.v2c
    assert port
    before = await get(port, "gnb-0002", SYS_UPTIME, IF_HC_IN_OCTETS_1)
    await control.fault("gnb-0002", "reboot")
    after = await get(port, "gnb-0002", SYS_UPTIME, IF_HC_IN_OCTETS_1)
    assert int(after[SYS_UPTIME]) < 500 < int(before[SYS_UPTIME])
    assert int(after[IF_HC_IN_OCTETS_1]) < int(before[IF_HC_IN_OCTETS_1])


async def test_link_down_fault(sim: Simulator, control: Control) -> None:
    port = sim.ports.v2c
    assert port
    await control.fault("olt-001-b", "link_down")
    await control.clock(frozen=True)
    first = await get(port, "olt-001-b", IF_OPER_1, IF_HC_IN_OCTETS_1, "1.3.6.1.2.1.2.2.1.8.2")
    assert first[IF_OPER_1] == "2"
    assert first["1.3.6.1.2.1.2.2.1.8.2"] == "1"  # only the uplink
    await control.clock(advance=60)
    second = await get(port, "olt-001-b", IF_HC_IN_OCTETS_1)
    assert second[IF_HC_IN_OCTETS_1] == first[IF_HC_IN_OCTETS_1]  # traffic stopped
    await control.clear("olt-001-b")
    await control.clock(advance=60)
    third = await get(port, "olt-001-b", IF_OPER_1, IF_HC_IN_OCTETS_1)
    assert third[IF_OPER_1] == "1"
    assert int(third[IF_HC_IN_OCTETS_1]) > int(first[IF_HC_IN_OCTETS_1])


async def test_power_cut_fault(sim: Simulator, control: Control, ups_of: Callable[[str], str]) -> None:
    port = sim.ports.v2c
    assert port
    ups = ups_of("gnb-0001")
    await control.clock(frozen=True)
    await control.fault(ups, "power_cut", runtime_s=120)
    on_battery = await get(port, ups, UPS_SOURCE, UPS_STATUS, UPS_MINUTES, UPS_SECONDS)
    assert (on_battery[UPS_SOURCE], on_battery[UPS_STATUS], on_battery[UPS_MINUTES]) == ("5", "2", "2")
    await control.clock(advance=100)
    low = await get(port, ups, UPS_STATUS, UPS_MINUTES, UPS_SECONDS)
    assert (low[UPS_STATUS], low[UPS_SECONDS]) == ("3", "100")
    assert int(low[UPS_MINUTES]) < 2
    assert (await get(port, "gnb-0001", SYS_NAME))[SYS_NAME] == "gnb-0001"  # still on battery
    await control.clock(advance=30)
    flat = await get(port, ups, UPS_STATUS, UPS_SOURCE, UPS_MINUTES)
    assert (flat[UPS_STATUS], flat[UPS_SOURCE], flat[UPS_MINUTES]) == ("4", "2", "0")
    with pytest.raises(SnmpTimeoutError):
        await get(port, "gnb-0001", SYS_NAME, timeout=0.3)
    await control.clear(ups)
    back = await get(port, "gnb-0001", SYS_UPTIME)
    assert int(back[SYS_UPTIME]) < 100  # booted when mains returned
    assert (await get(port, ups, UPS_SOURCE))[UPS_SOURCE] == "3"


async def test_slow_fault_delays_v2c_and_v3(sim: Simulator, control: Control) -> None:
    assert sim.ports.v2c
    assert sim.ports.v3
    await get(sim.ports.v3, "gnb-0002", SYS_NAME, v3=V3_SHA, timeout=3.0)
    await control.fault("gnb-0002", "slow", delay_ms=400)
    for port, v3 in ((sim.ports.v2c, None), (sim.ports.v3, V3_SHA)):
        started = time.monotonic()
        await get(port, "gnb-0002", SYS_NAME, v3=v3, timeout=3.0)
        assert time.monotonic() - started >= 0.4
    await control.clear("gnb-0002")
    started = time.monotonic()
    await get(sim.ports.v2c, "gnb-0002", SYS_NAME)
    assert time.monotonic() - started < 0.4


async def test_malformed_packets_are_counted_and_the_server_keeps_serving(
    sim: Simulator, control: Control
) -> None:
    port = sim.ports.v2c
    assert port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for junk in (b"", b"\x00", b"\x30\x82\xff\xff", b"GET / HTTP/1.1\r\n\r\n", bytes(range(256))):
            sock.sendto(junk, ("127.0.0.1", port))
    await asyncio.sleep(0.1)
    stats = await control.call("GET", "/stats")
    assert stats["v2c"]["malformed"] == 5
    assert (await get(port, "gnb-0001", SYS_NAME))[SYS_NAME] == "gnb-0001"
