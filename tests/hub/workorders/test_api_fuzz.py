"""schemathesis against the work-order, content and administration operations: no server error.

Like tests/hub/api/test_schemathesis.py (which fuzzes the fleet operations): the real app on a
loopback port in a thread, a fleet file, some orders, and the admin token on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from contract import codec
from contract import payloads as p
from contract.topics import NodeKind, Verb, node_topic
from hub import keys
from hub.app import create_app
from hub.ingest.handoff import Raw
from tests.hub.workorders.kit import ADMIN, hub_config
from tests.support.ports import free_port

MINE = (
    "/api/v1/workorders",
    "/api/v1/export",
    "/api/v1/followups",
    "/api/v1/integrity",
    "/api/v1/staff",
    "/api/v1/helpers",
    "/api/v1/surveys",
    "/api/v1/content",
)


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("wo-fuzz")
    config = hub_config(tmp)
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        app = create_app(config, with_mqtt=False)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        for i, category in enumerate(("power", "water", "other")):
            request = p.Request(
                ts=1_772_413_200_000,
                seq=i,
                id=f"FUZZSEED{i:08d}",
                body=p.Appeal(category=category, village="bz-t01-v01", text="种子工单", receipt=f"ABCDE{i}"),
            )
            topic = node_topic(NodeKind.KIOSK, "kiosk-bz-0001", Verb.REQ)
            app[keys.DISPATCHER].handle(Raw(topic, codec.encode(request), loop.time()))
        await app[keys.WORKORDERS].drained()
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


def test_no_server_error_on_any_workorder_operation(hub_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{hub_url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith(MINE)]
    assert len(operations) >= 19
    failures: list[str] = []
    for operation in operations:
        _fuzz(operation, failures)
    assert failures == []


def _fuzz(operation: Any, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=ADMIN, timeout=10)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except AssertionError as exc:
            failures.append(f"{operation.label}: {str(exc)[:500]}")
            raise

    with contextlib.suppress(AssertionError):
        run()
