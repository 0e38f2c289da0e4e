"""Node and device detail, rebirth and the transition log over HTTP, on a real hub (no MQTT).

An agent is born with one device, which then dies: the node's detail lists its device,
software version and transitions; the log filters by entity and id; a rebirth is sent
once and then refused within the interval; unknown nodes, devices and alarms are 404s.
"""

from __future__ import annotations

import pytest

from tests.hub import test_alarms_coverage
from tests.hub.messages import FakeNode
from tests.hub.test_alarms_coverage import ADMIN, READ, Hub

AGENT = "edge-api-1"
hub = test_alarms_coverage.hub  # the fixture: a real hub (no MQTT) with its fleet and tokens


@pytest.fixture
def client(hub: Hub) -> tuple[Hub, str]:
    """The hub, after an agent's BIRTH, its device's BIRTH and that device's DEATH; the device."""
    gnb = hub.fleet.devices[0].id
    agent = FakeNode(AGENT)
    for message in (
        agent.birth(devices=[gnb], version="1.2.3"),
        agent.device_birth(gnb),
        agent.device_death(gnb),
    ):
        hub.send(message)
    return hub, gnb


async def test_node_detail_lists_its_devices_versions_and_transitions(client: tuple[Hub, str]) -> None:
    h, gnb = client
    detail = await h.get(f"/api/v1/nodes/agent/{AGENT}")
    assert detail["node"]["id"] == AGENT
    assert detail["node"]["state"] == "online"
    assert detail["device_ids"] == [gnb]
    assert [v["version"] for v in detail["versions"]] == ["1.2.3"]
    assert [(t["entity"], t["state"]) for t in detail["transitions"]] == [("node", "online")]


async def test_transition_log_filters_by_entity_and_id(client: tuple[Hub, str]) -> None:
    h, gnb = client
    device = await h.get(f"/api/v1/transitions?entity=device&id={gnb}")
    assert [t["state"] for t in device["items"]] == ["offline", "online"]
    assert {t["id"] for t in device["items"]} == {gnb}
    everything = await h.get("/api/v1/transitions?limit=1")
    assert len(everything["items"]) == 1
    assert everything["items"][0]["state"] == "offline"  # newest first


async def test_rebirth_is_sent_once_per_interval_and_needs_admin(client: tuple[Hub, str]) -> None:
    h, _ = client
    path = f"/api/v1/nodes/agent/{AGENT}/rebirth"
    assert (await h.client.post(path, headers=READ)).status == 403
    first = await h.client.post(path, headers=ADMIN)
    assert await first.json() == {"ok": True, "detail": "sent"}
    again = await (await h.client.post(path, headers=ADMIN)).json()
    assert again["ok"] is False


async def test_an_online_node_cannot_be_forgotten(client: tuple[Hub, str]) -> None:
    h, _ = client
    resp = await h.client.delete(f"/api/v1/nodes/agent/{AGENT}", headers=ADMIN)
    assert resp.status == 409
    assert (await resp.json())["error"]["message"] == (
        f"agent '{AGENT}' is online; only an offline node can be forgotten"
    )


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("GET", "/api/v1/nodes/agent/nope", "no agent node 'nope'"),
        ("POST", "/api/v1/nodes/kiosk/nope/rebirth", "no kiosk node 'nope'"),
        ("DELETE", "/api/v1/nodes/agent/nope", "no agent node 'nope'"),
        ("GET", "/api/v1/devices/nope", "no device 'nope'"),
        ("GET", "/api/v1/alarms/12345", "no alarm 12345"),
        ("POST", "/api/v1/alarms/12345/ack", "no active alarm 12345"),
    ],
)
async def test_unknown_nodes_devices_and_alarms_are_404(
    client: tuple[Hub, str], method: str, path: str, message: str
) -> None:
    h, _ = client
    resp = await h.client.request(method, path, headers=ADMIN)
    assert resp.status == 404
    assert (await resp.json())["error"] == {"code": "not_found", "message": message}
