"""Device models driven by an injected clock: counters, daily curve, faults, battery."""

from __future__ import annotations

import pytest

from contract.fleet import Fleet
from simulator.clock import SimClock
from simulator.device import SimDevice
from simulator.faults import FaultError, FaultInjector, FaultRequest
from simulator.mib import Layout
from simulator.registry import DeviceSet, select_devices
from snmpcodec.ber import TIMETICKS, encode_integer, encode_value
from tests.simulator.conftest import EVENING, FakeTime

HOUR = 3600.0


@pytest.fixture
def devices(fleet: Fleet, manual_clock: SimClock) -> DeviceSet:
    return DeviceSet(fleet, select_devices(fleet, first_gnbs=3), now=manual_clock.now())


def values(devices: DeviceSet, device: str, t: float) -> dict[str, list[int]]:
    """name -> integer values of every instance, read through the MIB layout (strings left out)."""
    layout: Layout[SimDevice] = devices.layout_of[device]
    out: dict[str, list[int]] = {}
    for _oid, name, _type, value in layout.walk(devices.get(device), t):
        if isinstance(value, int):
            out.setdefault(name, []).append(value)
    return out


def test_counters_are_monotonic_and_32_bit_is_64_bit_mod_2_32(devices: DeviceSet) -> None:
    previous: dict[str, list[int]] | None = None
    for step in range(48):
        now = values(devices, "olt-001-a", EVENING + step * 1800.0)
        for hc, low in (("ifHCInOctets", "ifInOctets"), ("ifHCOutOctets", "ifOutOctets")):
            assert [int(v) % 2**32 for v in now[hc]] == [int(v) % 2**32 for v in now[low]]
        if previous is not None:
            for name in ("ifHCInOctets", "ifHCOutOctets", "ifHCInUcastPkts", "ifInErrors"):
                assert all(a <= b for a, b in zip(previous[name], now[name], strict=True)), name
        previous = now


def test_traffic_follows_the_day(devices: DeviceSet) -> None:
    dev = devices.get("gnb-0001")
    backhaul = dev.ifaces[0]
    night = EVENING + 8 * HOUR  # 04:00
    evening = EVENING + 24 * HOUR  # 20:00 the next day
    night_rate = backhaul.octets(night + 600, False) - backhaul.octets(night, False)
    evening_rate = backhaul.octets(evening + 600, False) - backhaul.octets(evening, False)
    assert evening_rate > 4 * night_rate > 0
    prb = [values(devices, "gnb-0001", t)["gnbCellPrbUsedDl"] for t in (night, evening)]
    assert all(int(n) < int(e) for n, e in zip(prb[0], prb[1], strict=True))
    for v in prb[1]:
        assert 0 <= int(v) <= 100


def test_success_never_exceeds_attempts(devices: DeviceSet) -> None:
    v = values(devices, "gnb-0001", EVENING)
    for att, succ in zip(v["gnbCellRrcConnEstabAttHC"], v["gnbCellRrcConnEstabSuccHC"], strict=True):
        assert 0 < int(succ) <= int(att)
    assert v["gnbCellRrcConnEstabAtt"] == [int(x) % 2**32 for x in v["gnbCellRrcConnEstabAttHC"]]


def test_link_down_stops_traffic_and_disables_cells(devices: DeviceSet, manual_clock: SimClock) -> None:
    faults = FaultInjector(devices, manual_clock)
    dev = devices.get("gnb-0001")
    t0 = manual_clock.now()
    faults.apply(FaultRequest(device="gnb-0001", fault="link_down", params={"ifindex": 1}))
    frozen = dev.ifaces[0].octets(t0 + 10, False)
    later = values(devices, "gnb-0001", t0 + 300)
    assert later["ifOperStatus"][0] == 2
    assert later["ifHCInOctets"][0] == frozen
    assert set(later["gnbCellOperState"]) == {2}
    assert set(later["gnbCellPrbUsedDl"]) == {0}
    assert later["ifLastChange"][0] == dev.ticks_at(t0)
    manual_clock.advance(300)
    assert faults.clear("gnb-0001") == ["link_down"]
    after = values(devices, "gnb-0001", t0 + 900)
    assert after["ifOperStatus"][0] == 1
    assert frozen < int(after["ifHCInOctets"][0]) < frozen + dev.ifaces[0].in_bytes_per_load_s * 3 * 600


def test_reboot_restarts_uptime_and_counters(devices: DeviceSet, manual_clock: SimClock) -> None:
    faults = FaultInjector(devices, manual_clock)
    before = values(devices, "gnb-0002", manual_clock.now())
    faults.apply(FaultRequest(device="gnb-0002", fault="reboot", params={"downtime_s": 30}))
    dev = devices.get("gnb-0002")
    assert not dev.responsive(manual_clock.now() + 10)
    assert dev.responsive(manual_clock.now() + 31)
    after = values(devices, "gnb-0002", manual_clock.now() + 60)
    assert int(after["sysUpTime"][0]) == 6000 < int(before["sysUpTime"][0])
    for name in ("ifHCInOctets", "gnbCellRrcConnEstabAttHC"):
        assert all(int(a) < int(b) for a, b in zip(after[name], before[name], strict=True))
    assert "reboot" not in dev.faults  # one-shot


def test_power_cut_drains_the_battery_then_the_site_goes_dark(
    fleet: Fleet, devices: DeviceSet, manual_clock: SimClock
) -> None:
    ups_id = fleet.index.ups_of_site("cell-0001")
    assert ups_id is not None
    faults = FaultInjector(devices, manual_clock)
    t0 = manual_clock.now()
    faults.apply(FaultRequest(device="gnb-0001", fault="power_cut", params={"runtime_s": 600}))
    gnb = devices.get("gnb-0001")
    assert devices.get(ups_id.id).faults["power_cut"]["site"] == "cell-0001"

    def ups(t: float) -> dict[str, int]:
        v = values(devices, ups_id.id, t)
        names = (
            "upsBatteryStatus",
            "upsOutputSource",
            "upsSecondsOnBattery",
            "upsEstimatedMinutesRemaining",
            "upsEstimatedChargeRemaining",
            "upsInputVoltage",
            "upsAlarmsPresent",
        )
        return {n: int(v[n][0]) for n in names}

    start = ups(t0 + 1)
    assert start["upsOutputSource"] == 5
    assert start["upsBatteryStatus"] == 2
    assert start["upsInputVoltage"] == 0
    assert start["upsEstimatedMinutesRemaining"] in (9, 10)
    low = ups(t0 + 500)
    assert low["upsBatteryStatus"] == 3
    assert low["upsSecondsOnBattery"] == 500
    assert low["upsEstimatedMinutesRemaining"] < start["upsEstimatedMinutesRemaining"]
    assert low["upsEstimatedChargeRemaining"] < start["upsEstimatedChargeRemaining"]
    assert gnb.responsive(t0 + 500)
    flat = ups(t0 + 700)
    assert (flat["upsBatteryStatus"], flat["upsOutputSource"], flat["upsEstimatedMinutesRemaining"]) == (
        4,
        2,
        0,
    )
    assert flat["upsAlarmsPresent"] == 3
    assert not gnb.responsive(t0 + 700)
    assert devices.get(ups_id.id).responsive(t0 + 700)

    manual_clock.advance(1000)
    faults.clear(ups_id.id)
    t1 = manual_clock.now()
    assert gnb.responsive(t1)
    assert gnb.uptime_ticks(t1 + 5) == 500  # it booted when power came back
    back = ups(t1 + 3600)
    assert (back["upsOutputSource"], back["upsBatteryStatus"], back["upsSecondsOnBattery"]) == (3, 2, 0)
    assert 0 < back["upsEstimatedChargeRemaining"] < 100  # recharging
    assert "power_cut" not in gnb.faults


def test_uptime_wraps_at_2_32_ticks(devices: DeviceSet, manual_clock: SimClock) -> None:
    dev = devices.get("gnb-0003")
    dev.boot_at = manual_clock.now() - 2**32 / 100 + 5
    layout = devices.layout_of[dev.id]
    pos = layout.find((1, 3, 6, 1, 2, 1, 1, 3, 0))
    assert pos is not None
    before = layout.value(pos, dev, manual_clock.now())
    after = layout.value(pos, dev, manual_clock.now() + 10)
    assert encode_value(TIMETICKS, before) == encode_integer(TIMETICKS, 2**32 - 500)
    assert encode_value(TIMETICKS, after) == encode_integer(TIMETICKS, 500)


def test_fault_validation(devices: DeviceSet, manual_clock: SimClock) -> None:
    faults = FaultInjector(devices, manual_clock)
    with pytest.raises(FaultError, match="unknown device") as info:
        faults.apply(FaultRequest(device="gnb-9999", fault="down"))
    assert info.value.status == 404
    with pytest.raises(FaultError, match=r"interfaces 1\.\.3"):
        faults.apply(FaultRequest(device="gnb-0001", fault="link_down", params={"ifindex": 9}))
    with pytest.raises(FaultError, match="bad params for slow"):
        faults.apply(FaultRequest(device="gnb-0001", fault="slow", params={"delay": 5}))
    with pytest.raises(FaultError, match="must not be negative"):
        faults.apply(FaultRequest(device="gnb-0001", fault="slow", params={"delay_ms": -5}))


def test_clock_freezes_resumes_and_never_goes_back(fake_time: FakeTime, manual_clock: SimClock) -> None:
    source = fake_time
    t0 = manual_clock.now()
    source.now += 10
    assert manual_clock.now() == t0 + 10
    frozen = manual_clock.freeze()
    source.now += 10
    assert manual_clock.now() == frozen
    manual_clock.advance(5)
    assert manual_clock.now() == frozen + 5
    manual_clock.unfreeze()
    source.now += 1
    assert manual_clock.now() == frozen + 6
    with pytest.raises(ValueError, match="forward"):
        manual_clock.advance(-1)
