"""The hub app serves the fleet summary behind its configured tokens."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from contract.topics import NodeKind
from hub import keys
from hub.app import create_app
from hub.clock import ManualClock
from hub.config import HubConfig
from hub.ingest.handoff import Raw
from tests.hub.messages import FakeNode


async def test_summary_counts_nodes_and_devices() -> None:
    config = HubConfig.model_validate(
        {"api": {"tokens": [{"name": "noc", "token": "t0k3n-t0k3n", "role": "read"}]}}
    )
    clock = ManualClock()
    app = create_app(config, clock=clock, with_mqtt=False)
    agent = FakeNode("edge-1")
    kiosk = FakeNode("kiosk-1", NodeKind.KIOSK)
    for topic, payload in (
        agent.birth(devices=["gnb-1", "ups-1"]),
        agent.device_birth("gnb-1"),
        agent.device_birth("ups-1", kind="ups"),
        agent.device_death("ups-1"),
        kiosk.birth(),
    ):
        app[keys.DISPATCHER].handle(Raw(topic, payload, clock.advance(0.1)))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/api/v1/summary")).status == 401
        resp = await client.get("/api/v1/summary", headers={"Authorization": "Bearer t0k3n-t0k3n"})
        assert resp.status == 200
        body = await resp.json()
    assert body["nodes"] == [
        {"kind": "agent", "online": 1, "offline": 0},
        {"kind": "kiosk", "online": 1, "offline": 0},
    ]
    assert body["devices"] == [
        {"kind": "gnb", "online": 1, "offline": 0},
        {"kind": "ups", "online": 0, "offline": 1},
    ]
    assert body["mqtt_connected"] is False
