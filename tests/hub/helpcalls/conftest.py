"""Help-call fixtures: a real webhook receiver (aiohttp on a free loopback port) and a hub
kit whose config names a duty roster and that receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub import keys
from hub.app import create_app
from hub.clock import ManualClock
from hub.config import HubConfig
from hub.helpcalls.service import HELPCALLS, HelpCalls
from tests.hub.workorders.kit import MONDAY_9AM, Kit, Recorder, hub_config
from tests.support.ports import free_port

ROSTER = """\
timezone: Asia/Shanghai
help_phone: "0827-5260000"
villages:
  bz-t01-v01:
    help_phone: "0827-5261001"
    duty:
      - {name: 王书记, phone: "13800000001", hours: ["mon-fri 08:30-17:30"]}
      - {name: 李主任, phone: "13800000002", hours: ["sat,sun 09:00-17:00"]}
  bz-t01-v02:
    duty:
      - {name: 陈书记, phone: "13800000003", hours: ["mon-fri 20:00-08:00"]}
townships:
  bz-t01:
    duty:
      - {name: 张镇长, phone: "13800000010", hours: ["mon-fri 08:00-18:00"]}
"""


@dataclass
class Webhook:
    """A webhook receiver that answers ``fail`` (a list of statuses) first, then 200."""

    url: str = ""
    fail: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.fail:
            return web.Response(status=self.fail.pop(0))
        self.received.append(await request.json())
        self.headers.append(dict(request.headers))
        return web.json_response({"ok": True})


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    hook = Webhook()
    app = web.Application()
    app.router.add_post("/notify", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    hook.url = f"http://127.0.0.1:{port}/notify"
    yield hook
    await runner.cleanup()


def config(tmp: Path, url: str | None, **helpcalls: Any) -> HubConfig:
    """The work-order kit's config plus a roster file and the webhook."""
    roster = tmp / "roster.yaml"
    roster.write_text(ROSTER, encoding="utf-8")
    base = hub_config(tmp).model_dump()
    section = {"roster": str(roster), "retry_min_delay": 5, "retry_max_delay": 40, **helpcalls}
    if url is not None:
        section["webhook_url"] = url
    return HubConfig.model_validate({**base, "helpcalls": section})


HelpKit = Callable[..., AbstractAsyncContextManager[Kit]]


@pytest.fixture
def help_kit(tmp_path: Path) -> HelpKit:
    """Start a hub on ``tmp_path`` (again after a stop: same database) at a given clock."""

    @asynccontextmanager
    async def start(
        url: str | None, clock: ManualClock | None = None, **helpcalls: Any
    ) -> AsyncIterator[Kit]:
        clock = clock or ManualClock(MONDAY_9AM)
        app = create_app(config(tmp_path, url, **helpcalls), clock=clock, with_mqtt=False)
        out = Recorder()
        app[keys.COMMANDS].publisher = out
        async with TestClient(TestServer(app)) as client:
            yield Kit(app, client, clock, out)

    return start


def desk(kit: Kit) -> HelpCalls:
    return kit.app[HELPCALLS]
