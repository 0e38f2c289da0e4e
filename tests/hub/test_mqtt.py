"""The real hub against a real Mosquitto: ingest, STATE and Will, floods of garbage, broker restarts."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contract import codec
from contract.payloads import Command, HubState
from contract.topics import HUB_STATE_TOPIC, Verb
from hub import keys
from hub.app import create_app
from hub.config import HubConfig
from tests.hub.broker import NodeClient, eventually, retained_state
from tests.hub.messages import FakeNode, cpu, octets
from tests.support.ports import free_port
from tests.support.services import Mosquitto, Process
from tests.support.stack import http_get, metric_value

pytestmark = pytest.mark.mosquitto

ROOT = Path(__file__).resolve().parents[2]


def _config(broker: Mosquitto, **mqtt: object) -> HubConfig:
    settings = {"host": broker.host, "port": broker.port, "reconnect_min_delay": 1, "reconnect_max_delay": 2}
    return HubConfig.model_validate({"hub_id": "t", "mqtt": settings | mqtt})


@dataclass
class LiveHub:
    client: TestClient[web.Request, web.Application]

    @property
    def app(self) -> web.Application:
        return self.client.app

    async def metrics(self) -> str:
        return await (await self.client.get("/metrics")).text()

    async def value(self, name: str, **labels: str) -> float | None:
        return metric_value(await self.metrics(), name, labels)

    async def wait_value(self, expected: float | None, name: str, timeout: float = 10, **labels: str) -> None:
        async def check() -> bool:
            return await self.value(name, **labels) == expected

        await eventually(check, timeout, f"{name}{labels} == {expected}")


@pytest.fixture
async def hub(mosquitto: Mosquitto) -> AsyncIterator[LiveHub]:
    app = create_app(_config(mosquitto, rebirth_min_interval=0))
    async with TestClient(TestServer(app)) as client:
        live = LiveHub(client)
        await eventually(lambda: app[keys.STATS].mqtt_connected, 10, "hub subscribed")
        yield live


async def test_contract_messages_reach_metrics(hub: LiveHub, mosquitto: Mosquitto) -> None:
    agent = FakeNode("edge-1")
    node = NodeClient(mosquitto, agent.node)
    try:
        await node.send(
            agent.birth(devices=["gnb-1"]),
            agent.device_birth("gnb-1"),
            agent.data("gnb-1", octets("eth0", 12345), cpu(0.5)),
        )
        assert (
            await eventually(lambda: hub.value("cl_if_hc_in_octets_total", device="gnb-1", ifname="eth0"))
            == 12345
        )
        assert await hub.value("cl_device_up", device="gnb-1") == 1
        await node.send(agent.device_death("gnb-1"))
        await hub.wait_value(0, "cl_device_up", device="gnb-1")
        assert await hub.value("cl_if_hc_in_octets_total", device="gnb-1", ifname="eth0") is None
    finally:
        node.close()


async def test_state_is_online_while_running_and_offline_after_stop(
    mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    for run in range(2):
        app = create_app(_config(mosquitto))
        stats = app[keys.STATS]
        async with TestClient(TestServer(app)):
            await eventually(lambda s=stats: s.mqtt_connected, 10, "hub subscribed")
            online = await retained_state(mosquitto)
            assert online is not None
            assert online.online
            # Run 2 also gets run 1's retained offline STATE; wait until it has been handled.
            expected = run + 1
            await eventually(lambda s=stats, n=expected: s.messages[("STATE", "ok")] >= n)
        offline = await retained_state(mosquitto)
        assert offline is not None
        assert not offline.online
        assert offline.ts >= online.ts
    # The second run found the first run's retained offline STATE: stale, so not "re-asserted".
    assert "re-publishing online" not in caplog.text


async def test_own_state_set_offline_is_reasserted(hub: LiveHub, mosquitto: Mosquitto) -> None:
    stray = NodeClient(mosquitto, "stray")
    try:
        # Like a late Will of an earlier connection: an old timestamp, but live, so it counts.
        await stray.send((HUB_STATE_TOPIC, codec.encode(HubState(online=False, ts=1))), retain=True)
    finally:
        stray.close()

    async def online() -> bool:
        state = await retained_state(mosquitto)
        return state is not None and state.online

    assert await eventually(online, 5, "STATE back online")


async def test_unknown_node_gets_a_rebirth_command(hub: LiveHub, mosquitto: Mosquitto) -> None:
    agent = FakeNode("edge-7")
    agent.skip(9)
    node = NodeClient(mosquitto, agent.node, (agent.topic(Verb.CMD),))
    try:
        await node.ready()
        await node.send(agent.data("gnb-1", cpu(0.5)))
        await eventually(lambda: node.received, 5, "a CMD")
        topic, payload, _ = node.received[0]
        assert topic == "cl/v1/agent/edge-7/CMD"
        assert codec.decode_as(payload, Command).command == "rebirth"
        # The node answers with BIRTH, and its data is accepted from then on.
        await node.send(
            agent.birth(devices=["gnb-1"]), agent.device_birth("gnb-1"), agent.data("gnb-1", cpu(0.7))
        )
        await hub.wait_value(0.7, "cl_cpu_usage_ratio", device="gnb-1")
    finally:
        node.close()


async def test_flood_of_malformed_messages_then_a_valid_one(hub: LiveHub, mosquitto: Mosquitto) -> None:
    agent = FakeNode("edge-1")
    bad: list[tuple[str, bytes]] = []
    bad += [
        ("cl/v1/agent/edge-1/DATA/gnb-1", b'{"ts": 1, "seq": ' + str(i % 200).encode()) for i in range(300)
    ]
    bad += [("cl/v1/agent/edge-1/DATA/gnb-1", b'{"ts": "yesterday", "seq": 1, "metrics": []}')] * 300
    bad += [
        (topic, b"{}")
        for topic in ("cl/v1/robot/r-1/DATA", "cl/v1/agent/-x/BIRTH", "cl/v1/agent/edge-1/DATA/gnb-1/extra")
        for _ in range(100)
    ]
    bad += [("cl/v1/agent/edge-1/EVENT", b"[" * (300 * 1024))] * 100
    assert len(bad) == 1000
    node = NodeClient(mosquitto, agent.node)
    try:
        await node.send(*bad)
        await node.send(
            agent.birth(devices=["gnb-1"]), agent.device_birth("gnb-1"), agent.data("gnb-1", cpu(0.42))
        )
        assert await eventually(lambda: hub.value("cl_cpu_usage_ratio", device="gnb-1"), 20) == 0.42
    finally:
        node.close()
    text = await hub.metrics()
    rejected = {
        r: metric_value(text, "cl_hub_rejected_total", {"reason": r})
        for r in ("json", "schema", "topic", "too_large")
    }
    assert rejected == {"json": 300, "schema": 300, "topic": 300, "too_large": 100}
    assert metric_value(text, "cl_hub_messages_total", {"verb": "DATA", "status": "ok"}) == 1


@pytest.mark.slow
async def test_broker_restart_resumes_ingest(hub: LiveHub, mosquitto: Mosquitto) -> None:
    stats = hub.app[keys.STATS]
    agent = FakeNode("edge-1")
    node = NodeClient(mosquitto, agent.node)
    await node.send(
        agent.birth(devices=["gnb-1"]), agent.device_birth("gnb-1"), agent.data("gnb-1", cpu(0.1))
    )
    await eventually(lambda: hub.value("cl_cpu_usage_ratio", device="gnb-1"))
    node.close()

    mosquitto.restart(down_for=0.5)
    await eventually(lambda: stats.mqtt_connects == 2 and stats.mqtt_connected, 15, "hub reconnected")
    assert (await hub.client.get("/healthz")).status == 200  # within the grace period throughout

    # The broker lost everything (no persistence): the agent reconnects and is born again.
    agent.reconnect()
    node = NodeClient(mosquitto, agent.node)
    try:
        await node.send(
            agent.birth(devices=["gnb-1"]), agent.device_birth("gnb-1"), agent.data("gnb-1", cpu(0.2))
        )
        await hub.wait_value(0.2, "cl_cpu_usage_ratio", device="gnb-1")
    finally:
        node.close()
    state = await retained_state(mosquitto)
    assert state is not None
    assert state.online  # re-announced on the new connection
    assert "\ncl_hub_mqtt_connected 1.0\n" in await hub.metrics()


def _hub_process(tmp_path: Path, broker: Mosquitto) -> tuple[Process, int]:
    port = free_port()
    argv = [sys.executable, "-m", "hub", "--mqtt-port", str(broker.port), "--http-port", str(port)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = Process(argv, tmp_path / "hub.log", env=env)
    process.start()
    return process, port


async def _wait_online(broker: Mosquitto, process: Process) -> HubState:
    async def online() -> HubState | None:
        assert process.running, process.output()
        state = await retained_state(broker)
        return state if state is not None and state.online else None

    result: HubState = await eventually(online, 20, "hub process online")
    return result


@pytest.mark.slow
async def test_killed_hub_leaves_its_will(tmp_path: Path, mosquitto: Mosquitto) -> None:
    process, _ = _hub_process(tmp_path, mosquitto)
    try:
        online = await _wait_online(mosquitto, process)
    finally:
        process.kill()
    will = await eventually(lambda: retained_state(mosquitto), 10, "the Will")
    assert not will.online
    assert will.ts == online.ts  # Sparkplug: the birth repeats the Will's timestamp


@pytest.mark.slow
async def test_sigterm_stops_cleanly(tmp_path: Path, mosquitto: Mosquitto) -> None:
    process, port = _hub_process(tmp_path, mosquitto)
    try:
        online = await _wait_online(mosquitto, process)
        assert "cl_hub_mqtt_connected 1.0" in http_get(f"http://127.0.0.1:{port}/metrics")
    finally:
        process.stop()
    assert process.proc is not None
    assert process.proc.returncode == 0, process.output()
    state = await retained_state(mosquitto)
    assert state is not None
    assert not state.online
    assert state.ts >= online.ts
    assert "Traceback" not in process.output()
