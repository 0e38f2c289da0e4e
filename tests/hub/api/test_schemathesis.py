"""schemathesis against the hub's own OpenAPI document: whatever it sends, no server error.

The hub runs for real (aiohttp on a loopback port, in a thread with its own loop) with a
fleet file and some state, so that coverage, devices and alarms have something to show;
requests carry the admin token so that every operation is reached past the role check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiohttp import web

from contract.fleet import dump_fleet
from hub import keys
from hub.config import HubConfig
from hub.ingest.handoff import Raw
from simulator.fleet_gen import generate_fleet
from tests.hub.messages import FakeNode, cpu
from tests.support.fuzz import fuzz_operations, serve_hub

ADMIN = {"Authorization": "Bearer admin-token-schemathesis"}


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    fleet = generate_fleet(2024, gnbs=200)
    dump_fleet(fleet, tmp / "fleet.json")
    config = HubConfig.model_validate(
        {
            "fleet": str(tmp / "fleet.json"),
            "data_dir": str(tmp / "data"),
            "api": {"tokens": [{"name": "fuzz", "token": "admin-token-schemathesis", "role": "admin"}]},
        }
    )

    async def seed(app: web.Application, loop: asyncio.AbstractEventLoop) -> None:
        agent = FakeNode("edge-fuzz")
        gnb = fleet.devices[0].id
        for topic, payload in (
            agent.birth(devices=[gnb]),
            agent.device_birth(gnb),
            agent.data(gnb, cpu(0.5)),
            agent.device_death(gnb),
        ):
            app[keys.DISPATCHER].handle(Raw(topic, payload, loop.time()))

    with serve_hub(config, seed) as url:
        yield url


def test_no_server_error_on_any_operation(hub_url: str) -> None:
    # This issue's operations; work orders, Open311, the console and content are their owners' to fuzz.
    mine = ("/api/v1/summary", "/api/v1/devices", "/api/v1/nodes", "/api/v1/alarms", "/api/v1/coverage",
            "/api/v1/transitions")  # fmt: skip
    count, failures = fuzz_operations(hub_url, mine, ADMIN, max_examples=25)
    assert count >= 13
    assert failures == []
