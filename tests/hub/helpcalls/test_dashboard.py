"""The help-call panels of the hub dashboard query what the hub really exposes: a real
Prometheus scrapes the real hub and every panel query returns the expected series."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from contract import payloads as p
from tests.hub.broker import eventually
from tests.hub.helpcalls.conftest import HelpKit, Webhook, desk
from tests.support.services import Prometheus
from tests.support.stack import http_get

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

BUILD = Path(__file__).resolve().parents[3] / "dashboards" / "build.py"


def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dashboards_build", BUILD)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def query(prom: Prometheus, expr: str) -> list[dict[str, Any]]:
    url = f"{prom.url}/api/v1/query?query={urllib.parse.quote(expr)}"
    body = json.loads(await asyncio.to_thread(http_get, url))
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def test_the_help_call_panels_are_on_the_hub_dashboard() -> None:
    module = build()
    titles = [panel["title"] for panel in module.hub()["panels"]]
    assert [panel["title"] for panel in module.helpcalls(0)] == titles[-len(module.helpcalls(0)) :]


async def test_every_help_call_panel_query_returns_series(
    help_kit: HelpKit, webhook: Webhook, prometheus_factory: Callable[[list[str]], Prometheus]
) -> None:
    webhook.fail = [503] * 1000
    exprs = [
        target["expr"].replace("$__rate_interval", "1m")
        for panel in build().helpcalls(0)
        for target in panel.get("targets", [])
    ]
    assert len(exprs) == 11
    async with help_kit(webhook.url) as kit:
        await kit.kiosk().ask(p.HelpCall(village="bz-t01-v01"))
        await desk(kit).step()
        prom = prometheus_factory([f"127.0.0.1:{kit.client.server.port}"])
        for expr in exprs:
            result = await eventually(lambda e=expr: query(prom, e), 30, f"series for {expr}")
            assert result, expr
        [unacked] = await query(prom, exprs[0])
        assert unacked["value"][1] == "1"
        errors = await query(prom, 'cl_helpcall_notify_errors_total{reason="http_5xx"}')
        assert float(errors[0]["value"][1]) >= 1
        counties = {r["metric"]["county"] for r in await query(prom, "cl_helpcalls_open")}
        assert {"巴州区", "恩阳区"} <= counties
