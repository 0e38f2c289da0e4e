"""Polling the simulator over real UDP: v2c and v3 authPriv agree, a Counter32 wrapping at 1 Gb/s, a reboot.

The simulator runs in the test's event loop with its clock frozen, and the test
advances it between polls, so every poll reads an exactly known instant.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from edge_agent.auths import AuthConfig
from edge_agent.counters import COUNTER32_MODULO
from edge_agent.modules import load_module, load_modules
from edge_agent.poller import TargetPoller
from edge_agent.snmp import pysnmp_transport
from edge_agent.snmp.v2c import UdpDispatcher
from tests.edge_agent.conftest import FakeClock, RecordingSink, SimHandle, collector, sample

pytestmark = pytest.mark.slow

IF_HC_IN_OCTETS_1 = "1.3.6.1.2.1.31.1.1.1.6.1"

# IF-MIB's 32-bit octet counter alone, as on gear without ifXTable.
IF_MIB_32 = """\
name: if_mib_32
walk:
  - 1.3.6.1.2.1.2.2.1.10
lookups:
  ifname: {oid: 1.3.6.1.2.1.2.2.1.2}
metrics:
  - name: if_in_octets
    oid: 1.3.6.1.2.1.2.2.1.10
    type: counter
    index: ifname
    help: ifInOctets, extended past its wraps
"""


def _poller(device: str, coll: object, clock: FakeClock) -> tuple[TargetPoller, RecordingSink]:
    sink = RecordingSink()
    poller = TargetPoller(
        device=device,
        kind="x",
        labels={},
        collector=coll,
        sink=sink,
        interval=30,
        deadline=20,
        clock=clock,  # type: ignore[arg-type]
    )
    return poller, sink


async def test_v2c_and_v3_auth_priv_read_the_same_values(
    start_sim: object, dispatcher: UdpDispatcher
) -> None:
    sim: SimHandle = await start_sim(gnbs=1, v3=True)  # type: ignore[operator]
    sim.clock.freeze()
    gnb = sim.devices("gnb")[0]
    modules = load_modules(["system", "if_mib", "gnb_radio"])
    ordered = [modules[m] for m in ("system", "if_mib", "gnb_radio")]
    engine = pysnmp_transport.new_engine()
    try:
        v3 = pysnmp_transport.PysnmpTransport(
            engine,
            address="127.0.0.1",
            port=sim.v3_port,
            auth=AuthConfig(
                version="3",
                username="simuser",
                auth_protocol="SHA",
                auth_password=SecretStr("authpass123"),
                priv_protocol="AES",
                priv_password=SecretStr("privpass123"),
            ),
            context=gnb,
        )
        by_v3 = await collector(ordered, v3).poll(1e9)
        by_v2c = await collector(ordered, sim.v2c(dispatcher, gnb, timeout=1)).poll(1e9)
    finally:
        pysnmp_transport.close_engine(engine)
    assert by_v3.errors == by_v2c.errors == []
    assert len(by_v2c.samples) > 60
    assert by_v3.samples == by_v2c.samples
    assert by_v3.properties == by_v2c.properties
    assert by_v2c.properties["sys_name"] == gnb
    assert sample(by_v2c.samples, "gnb_cell_oper_state", cell=f"{gnb}-c1", gnb_cell_oper_state="enabled") == 1


async def test_counter32_wrapping_at_1_gbps_is_extended_exactly(
    start_sim: object, dispatcher: UdpDispatcher, tmp_path: Path, clock: FakeClock
) -> None:
    """ifInOctets of an OLT uplink, advanced ~3.7 GB between polls: what a 1 Gb/s link does in 30 s.

    The simulated uplink carries a few hundred Mb/s, so the frozen simulator clock is advanced
    by however many seconds make ~3.7 GB (just under 2**32): every poll sees the 32-bit counter
    wrap, or nearly. The ground truth is the 64-bit ifHCInOctets of the same instant.
    """
    sim: SimHandle = await start_sim(gnbs=1)  # type: ignore[operator]
    frozen = sim.clock.freeze()
    # To local noon (Asia/Shanghai): traffic is high and nearly flat there. Before dawn a
    # step of 3.7 GB spans hours of the morning ramp, and the rate aimed at no longer holds.
    sim.clock.advance((12 * 3600 - (frozen + 8 * 3600)) % 86400)
    olt = sim.devices("olt_uplink")[0]
    path = tmp_path / "if_mib_32.yaml"
    path.write_text(IF_MIB_32, encoding="utf-8")
    transport = sim.v2c(dispatcher, olt, timeout=1)
    poller, sink = _poller(olt, collector([load_module(path)], transport), clock)

    async def truth() -> int:
        [(_, value)] = await transport.get([IF_HC_IN_OCTETS_1])
        assert isinstance(value.value, int)
        return value.value

    start = await truth()
    sim.clock.advance(100)
    rate = (await truth() - start) / 100  # bytes per simulated second, right now
    step = 3.7e9 / rate
    assert await poller.poll_once()
    base_truth, base_total = await truth(), sample(sink.last_samples(), "if_in_octets", ifname="GE uplink a")
    before = base_truth
    for _ in range(6):
        sim.clock.advance(step)
        clock.advance(30)
        assert await poller.poll_once()
        total = sample(sink.last_samples(), "if_in_octets", ifname="GE uplink a")
        now = await truth()
        assert now - before < COUNTER32_MODULO, "the test advanced more than one wrap per poll"
        assert total - base_total == now - base_truth  # exact, to the byte
        assert now % COUNTER32_MODULO == total % COUNTER32_MODULO
        # The simulated traffic follows the time of day: re-aim the next step at ~3.7 GB.
        step *= 3.7e9 / (now - before)
        before = now
    assert poller.collector.counters.wraps >= 4
    assert "event" not in sink.kinds()


async def test_a_reboot_is_an_event_and_counters_neither_fall_nor_spike(
    start_sim: object, dispatcher: UdpDispatcher, clock: FakeClock
) -> None:
    sim: SimHandle = await start_sim(gnbs=1)  # type: ignore[operator]
    sim.clock.freeze()
    gnb = sim.devices("gnb")[0]
    modules = load_modules(["system", "if_mib"])
    poller, sink = _poller(
        gnb, collector([modules["system"], modules["if_mib"]], sim.v2c(dispatcher, gnb, timeout=1)), clock
    )
    assert await poller.poll_once()
    before = sample(sink.last_samples(), "if_hc_in_octets", ifname="xgei-0/0/1")

    sim.fault(gnb, "reboot")
    sim.clock.advance(20)  # up for 20 s, counting from zero again
    clock.advance(30)
    assert await poller.poll_once()
    assert sink.kinds()[-3:] == ["up", "event", "data"]
    event, attrs = sink.calls[-2][2]
    assert event == "device_reboot"
    assert attrs["uptime_seconds"] == pytest.approx(20, abs=0.1)
    after = sample(sink.last_samples(), "if_hc_in_octets", ifname="xgei-0/0/1")
    [(_, since_boot)] = await poller.transport.get([IF_HC_IN_OCTETS_1])
    # The total goes on from where it was by exactly what was counted since the boot.
    assert after == before + since_boot.value
    assert poller.health.reboots == 1
