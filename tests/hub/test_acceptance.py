"""Issue 4's acceptance with a real Mosquitto: a hub restart at city scale, and hostile input at volume."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from paho.mqtt.enums import CallbackAPIVersion

from contract import codec
from contract import payloads as p
from hub import keys
from hub.app import create_app
from hub.config import HubConfig
from tests.hub.broker import NodeClient, eventually
from tests.hub.fleetsim import FleetNode
from tests.hub.messages import FakeNode, cpu
from tests.support.services import Mosquitto
from tests.support.stack import metric_value

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]

GNBS = 3131


def _config(broker: Mosquitto, data: Path) -> HubConfig:
    return HubConfig.model_validate(
        {
            "hub_id": "acceptance",
            "data_dir": str(data),
            "mqtt": {
                "host": broker.host,
                "port": broker.port,
                "reconnect_min_delay": 1,
                "reconnect_max_delay": 2,
            },
        }
    )


def _online(app: object) -> int:
    snap = app[keys.STATE].snapshot(app[keys.STATS].view(time.time()))  # type: ignore[index]
    return sum(1 for d in snap.devices if d.online)


async def test_hub_restart_with_3131_devices_rebuilds_without_spurious_offline(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    ids = [f"gnb-{i:04d}" for i in range(1, GNBS + 1)]
    nodes: list[FleetNode] = []
    try:
        app = create_app(_config(mosquitto, data))
        async with TestClient(TestServer(app)):
            await eventually(lambda: app[keys.STATS].mqtt_connected, 10, "first hub subscribed")
            nodes = [FleetNode(mosquitto, f"edge-county-{n}", ids[n::5]) for n in range(5)]
            await eventually(lambda: _online(app) == GNBS, 60, "all devices online in the first hub")
        # The first hub stopped cleanly (inventory flushed); the agents never noticed.
        app = create_app(_config(mosquitto, data))
        async with TestClient(TestServer(app)) as client:
            restarted = time.monotonic()
            assert app[keys.INVENTORY].restored == GNBS + 5, "every node and device restored as pending"
            samples: list[str] = []

            async def rebuilt() -> bool:
                samples.append(await (await client.get("/metrics")).text())
                return _online(app) == GNBS

            await eventually(rebuilt, 30, "inventory complete after the restart")
            took = time.monotonic() - restarted
            print(f"hub restart: {GNBS} devices back online {took:.2f} s after start")
            assert took < 15
            assert all(n.rebirths >= 1 for n in nodes), "each restored node was asked to rebirth"
            # Never a 0 in between: a device either had no cl_device_up yet (unknown) or 1.
            for text in samples:
                assert "cl_device_up{" not in text or " 0.0\n" not in "".join(
                    line + "\n" for line in text.splitlines() if line.startswith("cl_device_up{")
                )
                assert metric_value(text, "cl_hub_devices", {"state": "offline"}) == 0
            await app[keys.INVENTORY].flush()
        db = sqlite3.connect(data / "inventory.sqlite")
        offline = db.execute("SELECT COUNT(*) FROM transitions WHERE state = 'offline'").fetchone()[0]
        back = db.execute(
            "SELECT COUNT(*) FROM transitions WHERE state = 'online' AND previous = 'unknown'"
        ).fetchone()[0]
        db.close()
        assert offline == 0, "no spurious offline transition"
        assert back == GNBS + 5
    finally:
        for node in nodes:
            node.close()


def _hostile(rng: random.Random, n: int) -> list[tuple[str, bytes]]:
    """``n`` malformed or hostile messages on topics the hub subscribes to."""
    good_birth = codec.encode(p.NodeBirth(ts=1, seq=0, bd_seq=1, version="x"))
    makers = [
        lambda: ("cl/v1/agent/edge-1/DATA/gnb-1", rng.randbytes(rng.randint(0, 300))),
        lambda: ("cl/v1/agent/edge-1/DATA", b"{" * rng.randint(1, 5000)),
        lambda: ("cl/v1/agent/edge-1/DATA", b'{"ts": "soon", "seq": 1, "metrics": []}'),
        lambda: ("cl/v1/agent/edge-1/DATA", b'{"ts": 1, "seq": 999, "metrics": []}'),
        lambda: ("cl/v1/agent/edge-1/DATA", b'{"ts": 1, "seq": 1, "metrics": [], "extra": 1}'),
        lambda: ("cl/v1/agent/edge-1/BIRTH", good_birth[:-3]),
        lambda: ("cl/v1/agent/edge-1/BIRTH", b"[" * 100_000 + b"]" * 100_000),
        lambda: ("cl/v1/agent/edge-1/DATA", b'{"a":' * 3000 + b"1" + b"}" * 3000),
        lambda: ("cl/v1/agent/edge-1/DATA", b"x" * 300_000),
        # Mosquitto drops a client that sends a NUL in a topic; a right-to-left mark is legal UTF-8.
        lambda: ("cl/v1/agent/" + "\u202ebad" + "/DATA", b"{}"),
        lambda: ("cl/v1/agent/" + "a" * 200 + "/BIRTH", good_birth),
        lambda: ("cl/v1/robot/edge-1/DATA", b"{}"),
        lambda: ("cl/v1/agent/edge-1/BIRTH/dev/extra", good_birth),
        lambda: (
            "cl/v1/agent/edge-1/REQ",
            json.dumps({"ts": 1, "seq": 1, "id": "x", "body": {"type": "nope"}}).encode(),
        ),
        lambda: ("cl/v1/kiosk/k-1/EVENT", "\udcff".encode("utf-8", "surrogatepass")),
        lambda: ("cl/v1/hub/STATE", b'{"online": "maybe"}'),
    ]
    return [rng.choice(makers)() for _ in range(n)]


async def test_10000_hostile_payloads_leave_ingest_unharmed(mosquitto: Mosquitto, tmp_path: Path) -> None:
    app = create_app(_config(mosquitto, tmp_path / "data"))
    async with TestClient(TestServer(app)) as client:
        await eventually(lambda: app[keys.STATS].mqtt_connected, 10, "hub subscribed")
        stats = app[keys.STATS]
        before = sum(stats.rejected.values())
        messages = _hostile(random.Random(4), 10_000)
        flood = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="hostile")
        flood.max_inflight_messages_set(1000)
        connected = asyncio.Event()
        loop = asyncio.get_running_loop()
        flood.on_connect = lambda *a: loop.call_soon_threadsafe(connected.set)
        flood.connect(mosquitto.host, mosquitto.port)
        flood.loop_start()
        try:
            await asyncio.wait_for(connected.wait(), 10)
            infos = [flood.publish(topic, payload, qos=1) for topic, payload in messages]
            for info in infos[-50:]:
                await asyncio.to_thread(info.wait_for_publish, 30)
        finally:
            flood.disconnect()
            flood.loop_stop()

        def handled() -> int:
            handoff = app[keys.HANDOFF]
            return sum(stats.rejected.values()) + handoff.overflow - before

        await eventually(lambda: handled() >= 10_000, 60, "every hostile message rejected")
        assert stats.rejected["internal"] == 0, "no handler bug was hit"
        # Ingest is unharmed: a well-behaved node is served at once.
        agent = FakeNode("edge-ok")
        node = NodeClient(mosquitto, agent.node)
        try:
            await node.send(
                agent.birth(devices=["gnb-1"]), agent.device_birth("gnb-1"), agent.data("gnb-1", cpu(0.5))
            )

            async def served() -> bool:
                text = await (await client.get("/metrics")).text()
                return metric_value(text, "cl_cpu_usage_ratio", {"device": "gnb-1"}) == 0.5

            await eventually(served, 10, "a valid node after the flood")
        finally:
            node.close()
        health = await client.get("/healthz")
        assert health.status == 200
