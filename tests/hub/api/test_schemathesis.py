"""schemathesis against the hub's own OpenAPI document: whatever it sends, no server error.

The hub runs for real (aiohttp on a loopback port, in a thread with its own loop) with a
fleet file and some state, so that coverage, devices and alarms have something to show;
requests carry the admin token so that every operation is reached past the role check.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from contract.fleet import dump_fleet
from hub import keys
from hub.app import create_app
from hub.config import HubConfig
from hub.ingest.handoff import Raw
from simulator.fleet_gen import generate_fleet
from tests.hub.messages import FakeNode, cpu
from tests.support.ports import free_port

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
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        app = create_app(config, with_mqtt=False)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        agent = FakeNode("edge-fuzz")
        gnb = fleet.devices[0].id
        for topic, payload in (
            agent.birth(devices=[gnb]),
            agent.device_birth(gnb),
            agent.data(gnb, cpu(0.5)),
            agent.device_death(gnb),
        ):
            app[keys.DISPATCHER].handle(Raw(topic, payload, loop.time()))
        started.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(30)
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)
    loop.close()


def test_no_server_error_on_any_operation(hub_url: str) -> None:
    # Driven through hypothesis directly: schemathesis' pytest plugin (from_fixture) does not
    # run under pytest 9 yet ("'Function' object has no attribute '_nodeid'").
    schema = schemathesis.openapi.from_url(f"{hub_url}/api/openapi.json")
    # This issue's operations; work orders, Open311, the console and content are their owners' to fuzz.
    mine = ("/api/v1/summary", "/api/v1/devices", "/api/v1/nodes", "/api/v1/alarms", "/api/v1/coverage",
            "/api/v1/transitions")  # fmt: skip
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith(mine)]
    assert len(operations) >= 13
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=ADMIN, timeout=10)
            try:
                case.validate_response(response, checks=[not_a_server_error])
            except AssertionError as exc:
                failures.append(f"{case.operation.label}: {str(exc)[:500]}")
                raise

        try:
            run()
        except AssertionError:
            continue
    assert failures == []
