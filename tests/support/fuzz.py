"""schemathesis against a real hub: serve the app on a loopback port in a thread, fuzz its operations.

Driven through hypothesis directly: schemathesis' pytest plugin (from_fixture) does not
run under pytest 9 yet ("'Function' object has no attribute '_nodeid'").
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from hub.app import create_app
from hub.config import HubConfig
from tests.support.ports import free_port

Seed = Callable[[web.Application, asyncio.AbstractEventLoop], Awaitable[None]]


@contextlib.contextmanager
def serve_hub(config: HubConfig, seed: Seed) -> Iterator[str]:
    """The hub app (no MQTT) on a free loopback port, seeded by ``seed``; yields its URL."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        app = create_app(config, with_mqtt=False)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await seed(app, loop)
        started.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(30)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


def fuzz_operations(
    url: str, prefixes: tuple[str, ...], headers: dict[str, str], max_examples: int
) -> tuple[int, list[str]]:
    """Fuzz every operation whose path starts with one of ``prefixes``; (operations, server errors)."""
    schema = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith(prefixes)]
    failures: list[str] = []
    for operation in operations:
        _fuzz(operation, headers, max_examples, failures)
    return len(operations), failures


def _fuzz(operation: Any, headers: dict[str, str], max_examples: int, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers, timeout=10)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except AssertionError as exc:
            failures.append(f"{operation.label}: {str(exc)[:500]}")
            raise

    # hypothesis re-raises the shrunk failure; it is already recorded in ``failures``.
    with contextlib.suppress(AssertionError):
        run()
