"""schemathesis against the work-order, content and administration operations: no server error.

Like tests/hub/api/test_schemathesis.py (which fuzzes the fleet operations), through
tests/support/fuzz.py: the real app on a loopback port, a fleet file, some orders, and the
admin token on every request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from contract import codec
from contract import payloads as p
from contract.topics import NodeKind, Verb, node_topic
from hub import keys
from hub.ingest.handoff import Raw
from tests.hub.workorders.kit import ADMIN, hub_config
from tests.support.fuzz import fuzz_operations, serve_hub

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

    async def seed(app: web.Application, loop: asyncio.AbstractEventLoop) -> None:
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

    with serve_hub(hub_config(tmp), seed) as url:
        yield url


def test_no_server_error_on_any_workorder_operation(hub_url: str) -> None:
    count, failures = fuzz_operations(hub_url, MINE, ADMIN, max_examples=15)
    assert count >= 19
    assert failures == []
