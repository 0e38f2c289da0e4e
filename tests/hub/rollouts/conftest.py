"""Fixtures for the orchestrator tests: keys, artifacts, a simulated fleet, the hub with MQTT."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub import keys
from hub.app import create_app
from hub.config import HubConfig
from hub.rollouts.orchestrator import Orchestrator
from tests.hub.rollouts.simfleet import SimFleet, signed_releases
from tests.playbooks.helpers import REPO
from tests.support.ports import free_port
from tests.support.services import Mosquitto

ADMIN = {"Authorization": "Bearer admin-token"}
READ = {"Authorization": "Bearer read-token"}


@pytest.fixture(scope="session")
def signing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(private key, public key, dist) with releases 1.0.0, 2.0.0 and 3.0.0 signed by the fleet key."""
    return signed_releases(tmp_path_factory.mktemp("signing"), ("1.0.0", "2.0.0", "3.0.0"))


@dataclass
class Hub:
    """The hub under test and the fleet it rolls out to; ``restart()`` keeps data_dir and port."""

    fleet: SimFleet
    broker: Mosquitto
    config: HubConfig
    port: int
    client: TestClient[web.Request, web.Application] | None = None

    @property
    def orch(self) -> Orchestrator:
        assert self.client is not None
        return self.client.app[keys.ROLLOUTS]

    async def start(self) -> None:
        app = create_app(self.config)
        self.client = TestClient(TestServer(app, port=self.port))
        await self.client.start_server()

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None

    async def wait_reverted(self, rollout: str, timeout: float = 150) -> dict[str, Any]:
        """Wait until the wave's revert was decided and its job (if any) has ended; the status."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            audit = await self.api("GET", f"/api/v1/rollouts/{rollout}/audit", headers=READ)
            actions = [(a["action"], a["detail"].get("phase")) for a in audit]
            reverts = [a["detail"]["hosts"] for a in audit if a["action"] == "revert-wave"]
            if reverts and (not reverts[-1] or ("job-ended", "rollback") in actions):
                status: dict[str, Any] = await self.api("GET", f"/api/v1/rollouts/{rollout}", headers=READ)
                return status
            assert loop.time() < deadline, actions
            await asyncio.sleep(0.5)

    async def wait_online(self, hosts: list[str], timeout: float = 30) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(self.orch.presence.online(h) for h in hosts):
            assert loop.time() < deadline, [h for h in hosts if not self.orch.presence.online(h)]
            await asyncio.sleep(0.2)

    async def api(self, method: str, path: str, body: Any = None, headers: dict[str, str] = ADMIN) -> Any:
        assert self.client is not None
        resp = await self.client.request(method, path, json=body, headers=headers)
        data = await resp.json()
        assert resp.status < 300, (resp.status, data)
        return data

    async def wait(
        self, rollout: str, check: Callable[[dict[str, Any]], bool], timeout: float = 150
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status: dict[str, Any] = await self.api("GET", f"/api/v1/rollouts/{rollout}", headers=READ)
            if check(status):
                return status
            assert loop.time() < deadline, (status["state"], status["reason"], status["devices"])
            await asyncio.sleep(0.5)


def make_config(data: Path, fleet: SimFleet, dist: Path, broker: Mosquitto, port: int) -> HubConfig:
    return HubConfig.model_validate(
        {
            "hub_id": "rollouts",
            "data_dir": str(data),
            "mqtt": {
                "host": broker.host,
                "port": broker.port,
                "reconnect_min_delay": 1,
                "reconnect_max_delay": 2,
                "rebirth_min_interval": 0,
            },
            "api": {
                "tokens": [
                    {"name": "ops", "token": "admin-token", "role": "admin"},
                    {"name": "watcher", "token": "read-token", "role": "read"},
                ]
            },
            "rollouts": {
                "enabled": True,
                "playbooks": str(REPO / "playbooks"),
                "inventory": str(fleet.inventory),
                "artifacts_dir": str(dist),
                "artifact_base_url": f"http://127.0.0.1:{port}/artifacts",
                "forks": 10,
            },
        }
    )


MakeHub = Callable[[int], Awaitable[Hub]]


@pytest.fixture
async def make_hub(
    tmp_path: Path, signing: tuple[Path, Path, Path], mosquitto: Mosquitto
) -> AsyncIterator[MakeHub]:
    """``await make_hub(n)``: n kiosks on 1.0.0, all online, and a started hub."""
    made: list[Hub] = []

    async def make(n: int) -> Hub:
        _, public, dist = signing
        port = free_port()
        hosts = [f"kiosk-{i:04d}" for i in range(1, n + 1)]
        fleet = SimFleet(tmp_path / "fleet", hosts, dist, public, f"http://127.0.0.1:{port}/artifacts")
        await asyncio.to_thread(fleet.install, "1.0.0")
        hub = Hub(fleet, mosquitto, make_config(tmp_path / "hub-data", fleet, dist, mosquitto, port), port)
        made.append(hub)
        await hub.start()
        return hub

    yield make
    for hub in made:
        await hub.stop()
        hub.fleet.close()
