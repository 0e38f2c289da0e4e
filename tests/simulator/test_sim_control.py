"""The HTTP control API: devices, faults, clock and stats, including its error answers."""

from __future__ import annotations

from simulator.server import Simulator
from tests.simulator.conftest import Control


async def test_devices_lists_the_served_subset(sim: Simulator, control: Control) -> None:
    devices = await control.call("GET", "/devices")
    ids = [d["id"] for d in devices]
    assert ids[:2] == ["gnb-0001", "gnb-0002"]
    assert {"olt-001-a", "olt-001-b"} <= set(ids)
    assert all(d["responding"] and d["faults"] == {} for d in devices)
    gnbs = await control.call("GET", "/devices?kind=gnb")
    assert [d["id"] for d in gnbs] == ["gnb-0001", "gnb-0002"]
    one = await control.call("GET", "/devices/gnb-0001")
    assert one["labels"]["county"] == "巴州区"
    assert [i["ifindex"] for i in one["interfaces"]] == [1, 2, 3]
    assert one["battery"]["on_battery"] is False
    await control.call("GET", "/devices/nope", status=404)


async def test_fault_lifecycle(sim: Simulator, control: Control) -> None:
    created = await control.fault("gnb-0001", "link_down", ifindex=2)
    assert created["faults"] == {"link_down": {"ifindex": [2]}}
    created = await control.fault("gnb-0001", "link_down", ifindex=1)
    assert created["faults"] == {"link_down": {"ifindex": [1, 2]}}
    await control.fault("gnb-0001", "slow", delay_ms=5)
    assert set((await control.call("GET", "/faults"))["gnb-0001"]) == {"link_down", "slow"}
    cleared = await control.call("DELETE", "/faults/gnb-0001?fault=slow")
    assert cleared["cleared"] == ["slow"]
    assert (await control.clear("gnb-0001"))["cleared"] == ["link_down"]
    assert await control.call("GET", "/faults") == {}
    assert all(i.oper_up for i in sim.devices.get("gnb-0001").ifaces)


async def test_power_cut_shows_on_every_device_of_the_site(sim: Simulator, control: Control) -> None:
    await control.fault("gnb-0001", "power_cut", runtime_s=60)
    faults = await control.call("GET", "/faults")
    site = sim.devices.get("gnb-0001").spec.site
    assert {d for d, f in faults.items() if "power_cut" in f} == {d.id for d in sim.devices.at_site(site)}
    await control.clear("gnb-0001")
    assert await control.call("GET", "/faults") == {}


async def test_bad_requests(control: Control) -> None:
    await control.call("POST", "/faults", {"device": "gnb-0001", "fault": "explode"}, status=400)
    await control.call("POST", "/faults", {"device": "gnb-0001", "fault": "down", "extra": 1}, status=400)
    await control.call("POST", "/faults", {"device": "gnb-9999", "fault": "down"}, status=404)
    await control.fault("gnb-0001", "slow", status=400, delay="fast")
    await control.fault("gnb-0001", "power_cut", status=400, runtime_s=0)
    await control.call("DELETE", "/faults/gnb-9999", status=404)
    await control.call("DELETE", "/faults/gnb-0001?fault=nope", status=400)
    await control.call("POST", "/clock", {"frozen": "yes"}, status=400)
    await control.call("POST", "/clock", {"advance": -1}, status=400)


async def test_clock(control: Control) -> None:
    state = await control.call("GET", "/clock")
    assert state["frozen"] is False
    frozen = await control.clock(frozen=True)
    assert frozen["frozen"] is True
    moved = await control.clock(advance=3600)
    assert moved["now"] == frozen["now"] + 3600
    assert (await control.call("GET", "/health")) == {"ok": True}
    stats = await control.call("GET", "/stats")
    assert stats["devices"] > 2
    assert "v3" in stats
