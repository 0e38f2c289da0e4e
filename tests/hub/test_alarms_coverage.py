"""Alarms from state and values, coverage from the fleet file, and both through /metrics and the API."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contract import codec
from contract import payloads as p
from contract.fleet import Fleet, dump_fleet
from contract.topics import NodeKind, Verb
from hub import keys
from hub.app import create_app
from hub.clock import ManualClock
from hub.config import HubConfig
from hub.ingest.handoff import Raw
from simulator.fleet_gen import generate_fleet
from tests.hub.messages import FakeNode
from tests.support.stack import metric_value

READ = {"Authorization": "Bearer read-token-123"}
ADMIN = {"Authorization": "Bearer admin-token-123"}
TOWNSHIP = "511902112"
IF_DEFS = [
    p.MetricDef(name="if_oper_status", type="stateset", labels=["ifname", "if_oper_status"]),
    p.MetricDef(name="if_admin_status", type="stateset", labels=["ifname", "if_admin_status"]),
]
UPS_DEFS = [
    p.MetricDef(name="ups_output_source", type="stateset", labels=["ups_output_source"]),
    p.MetricDef(name="ups_battery_status", type="stateset", labels=["ups_battery_status"]),
]


def _iface(ifname: str, oper: str) -> list[p.Sample]:
    return [
        p.Sample(name="if_admin_status", value=1, labels={"ifname": ifname, "if_admin_status": "up"}),
        *(
            p.Sample(
                name="if_oper_status", value=int(s == oper), labels={"ifname": ifname, "if_oper_status": s}
            )
            for s in ("up", "down")
        ),
    ]


@dataclass
class Hub:
    app: web.Application
    client: TestClient[web.Request, web.Application]
    clock: ManualClock
    fleet: Fleet

    def send(self, message: tuple[str, bytes]) -> None:
        self.app[keys.DISPATCHER].handle(Raw(*message, self.clock.advance(0.1)))

    async def get(self, path: str, headers: dict[str, str] = READ) -> object:
        resp = await self.client.get(path, headers=headers)
        assert resp.status == 200, await resp.text()
        return await resp.json()


@pytest.fixture
async def hub(tmp_path: Path) -> AsyncIterator[Hub]:
    fleet = generate_fleet(2024)
    dump_fleet(fleet, tmp_path / "fleet.json")
    config = HubConfig.model_validate(
        {
            "fleet": str(tmp_path / "fleet.json"),
            "data_dir": str(tmp_path / "data"),
            "api": {
                "tokens": [
                    {"name": "noc", "token": "read-token-123", "role": "read"},
                    {"name": "ops", "token": "admin-token-123", "role": "admin"},
                ]
            },
        }
    )
    clock = ManualClock(1_780_000_000.0)
    app = create_app(config, clock=clock, with_mqtt=False)
    async with TestClient(TestServer(app)) as client:
        yield Hub(app, client, clock, fleet)


def _township_devices(fleet: Fleet) -> tuple[list[str], str, str, str]:
    index = fleet.index
    uplinks = [d.id for d in index.uplinks_of_township(TOWNSHIP)]
    in_villages = [
        d for d in fleet.devices
        if d.kind == "gnb" and index.site_of(d.id).township == TOWNSHIP and index.site_of(d.id).village
    ]  # fmt: skip
    # A village served by one gNB only, so that its death alone decides the village's coverage.
    per_village: dict[str | None, int] = {}
    for d in in_villages:
        per_village[index.site_of(d.id).village] = per_village.get(index.site_of(d.id).village, 0) + 1
    gnb = next(d for d in in_villages if per_village[index.site_of(d.id).village] == 1)
    village = index.site_of(gnb.id).village or ""
    ups = index.ups_of_site(index.site_of(gnb.id).id)
    assert ups is not None
    return uplinks, gnb.id, village, ups.id


async def test_alarms_and_coverage_follow_state_and_values(hub: Hub) -> None:
    uplinks, gnb, village, ups = _township_devices(hub.fleet)
    agent = FakeNode("edge-511902")
    hub.send(agent.birth(devices=[*uplinks, gnb, ups]))
    for device in uplinks:
        hub.send(agent.device_birth(device, kind="olt_uplink", metrics=IF_DEFS))
        hub.send(agent.data(device, *_iface("gei-0/9/a", "up")))
    hub.send(agent.device_birth(gnb, kind="gnb", metrics=IF_DEFS))
    hub.send(agent.device_birth(ups, kind="ups", metrics=UPS_DEFS))
    tracker = hub.app[keys.COVERAGE]
    cov = tracker.evaluate_now()
    assert cov.townships[TOWNSHIP].dual_gigabit is True
    assert cov.villages[village].covered is True
    assert cov.townships["511902001"].dual_gigabit is None, "never measured is unknown, not up"

    # Uplink b loses its link: an alarm, and the township is no longer dual-gigabit.
    hub.send(agent.data(uplinks[1], *_iface("gei-0/9/b", "down")))
    engine = hub.app[keys.ALARMS]
    assert [(a.alarm, a.resource, a.severity) for a in engine.active_for(uplinks[1])] == [
        ("link_down", "gei-0/9/b", "major")
    ]
    hub.send(agent.data(uplinks[1], *_iface("gei-0/9/b", "down")))  # the next poll: still one alarm
    assert len(engine.active_for(uplinks[1])) == 1
    # An agent's ALARM raised twice is one alarm counted twice.
    for _ in range(2):
        msg = p.Alarm(
            ts=agent.ts, seq=agent.seq.take(), alarm="fan_failure", state="raised", severity="minor"
        )
        hub.send((agent.topic(Verb.ALARM, uplinks[0]), codec.encode(msg)))
    assert [(a.alarm, a.count, a.source) for a in engine.active_for(uplinks[0])] == [
        ("fan_failure", 2, "agent")
    ]
    hub.clock.advance(5)
    cov = tracker.evaluate_now()
    assert cov.townships[TOWNSHIP].dual_gigabit is False
    assert cov.townships[TOWNSHIP].uplinks_up == 1
    assert cov.villages[village].covered is True, "one uplink still carries the backhaul"

    # Power cut at the gNB's site, then the gNB dies.
    hub.send(
        agent.data(ups, p.Sample(name="ups_output_source", value=1, labels={"ups_output_source": "battery"}))
    )
    hub.send(
        agent.data(
            ups, p.Sample(name="ups_battery_status", value=1, labels={"ups_battery_status": "batteryLow"})
        )
    )
    hub.send(agent.device_death(gnb, reason="timeout"))
    names = {a.alarm for a in engine.active()}
    assert {"link_down", "on_battery", "low_battery", "device_down"} <= names
    hub.clock.advance(5)
    assert tracker.evaluate_now().villages[village].covered is False

    # Link back: cleared, with history.
    hub.send(agent.data(uplinks[1], *_iface("gei-0/9/b", "up")))
    assert engine.active_for(uplinks[1]) == []

    text = await (await hub.client.get("/metrics")).text()
    assert metric_value(text, "cl_township_dual_gigabit", {"township": TOWNSHIP}) == 0
    assert metric_value(text, "cl_township_dual_gigabit", {"township": "511902001"}) is None
    assert metric_value(text, "cl_alarms_active", {"alarm": "device_down", "severity": "major"}) == 1
    assert metric_value(text, "cl_device_location_info", {"device": gnb}) == 1
    area = {"level": "township", "area": TOWNSHIP, "measure": "dual_gigabit"}
    known = metric_value(text, "cl_coverage_known_seconds_total", area)
    up = metric_value(text, "cl_coverage_up_seconds_total", area)
    assert known is not None
    assert up is not None
    assert known >= 10
    assert 0 < up < known
    promtool = shutil.which("promtool")
    if promtool:
        check = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr

    # The API: alarms, history, ack by an admin only, coverage by area, device detail.
    active = await hub.get("/api/v1/alarms")
    assert {a["alarm"] for a in active["items"]} >= {"device_down", "on_battery"}  # type: ignore[index]
    cleared = await hub.get("/api/v1/alarms?state=cleared")
    assert [a["alarm"] for a in cleared["items"]] == ["link_down"]  # type: ignore[index]
    first = active["items"][0]["id"]  # type: ignore[index]
    assert (await hub.client.post(f"/api/v1/alarms/{first}/ack", headers=READ)).status == 403
    acked = await hub.client.post(f"/api/v1/alarms/{first}/ack", headers=ADMIN)
    assert (await acked.json())["acked_by"] == "ops"
    summary = await hub.get("/api/v1/coverage")
    assert summary["townships"] == 150  # type: ignore[index]
    assert summary["townships_dual_gigabit"] == 0  # type: ignore[index]
    areas = await hub.get(f"/api/v1/coverage/areas?level=village&township={TOWNSHIP}")
    assert any(v["code"] == village and v["covered"] is False for v in areas["villages"])  # type: ignore[index]
    history = await hub.get(f"/api/v1/coverage/township/{TOWNSHIP}")
    assert {d["measure"] for d in history["days"]} == {"covered", "dual_gigabit"}  # type: ignore[index]
    detail = await hub.get(f"/api/v1/devices/{gnb}")
    assert detail["device"]["state"] == "offline"  # type: ignore[index]
    assert detail["location"]["township"] == TOWNSHIP  # type: ignore[index]
    assert [t["state"] for t in detail["transitions"]] == ["offline", "online"]  # type: ignore[index]
    nodes = await hub.get("/api/v1/nodes?kind=agent")
    assert nodes["items"][0]["devices"] == 4  # type: ignore[index]
    bad = await hub.client.get("/api/v1/devices?limit=lots", headers=READ)
    assert bad.status == 400
    assert (await bad.json())["error"]["code"] == "invalid_query"


async def test_kiosk_offline_alarm_and_forgetting_a_node(hub: Hub) -> None:
    kiosk_id = hub.fleet.kiosks[0].id
    kiosk = FakeNode(kiosk_id, NodeKind.KIOSK)
    hub.send(kiosk.birth())
    hub.send(kiosk.death())
    engine = hub.app[keys.ALARMS]
    assert [a.alarm for a in engine.active_for(kiosk_id)] == ["kiosk_offline"]
    assert hub.app[keys.COVERAGE].evaluate_now().villages[hub.fleet.kiosks[0].village].kiosk is False
    gone = await hub.client.delete(f"/api/v1/nodes/kiosk/{kiosk_id}", headers=ADMIN)
    assert gone.status == 200, await gone.text()
    assert engine.active_for(kiosk_id) == []
    missing = await hub.client.get(f"/api/v1/nodes/kiosk/{kiosk_id}", headers=READ)
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "not_found"
