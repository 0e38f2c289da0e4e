"""A real Prometheus scraping the real hub: values arrive, and a DEATH makes series stale at once."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub import keys
from hub.app import create_app
from hub.config import HubConfig
from tests.hub.broker import NodeClient, eventually
from tests.hub.messages import FakeNode, cpu
from tests.support.services import Mosquitto, Prometheus
from tests.support.stack import http_get

pytestmark = [pytest.mark.mosquitto, pytest.mark.prometheus, pytest.mark.slow]


async def _ready(prom: Prometheus) -> bool:
    """Prometheus answers 503 until its TSDB has started, a while after its port opens."""
    try:
        await asyncio.to_thread(http_get, f"{prom.url}/-/ready")
    except urllib.error.HTTPError:
        return False
    return True


async def _query(prom: Prometheus, expr: str) -> list[dict[str, Any]]:
    url = f"{prom.url}/api/v1/query?query={urllib.parse.quote(expr)}"
    body = json.loads(await asyncio.to_thread(http_get, url))
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def test_death_removes_series_from_prometheus_within_a_scrape(
    mosquitto: Mosquitto, prometheus_factory: Callable[[list[str]], Prometheus]
) -> None:
    config = HubConfig.model_validate({"mqtt": {"port": mosquitto.port}})
    app = create_app(config)
    async with TestClient(TestServer(app)) as client:
        await eventually(lambda: app[keys.STATS].mqtt_connected, 10, "hub subscribed")
        prom = prometheus_factory([f"127.0.0.1:{client.server.port}"])
        await eventually(lambda: _ready(prom), 30, "Prometheus ready")
        agent = FakeNode("edge-1")
        node = NodeClient(mosquitto, agent.node)
        try:
            await node.send(agent.birth(devices=["gnb-1"]), agent.device_birth("gnb-1"))
            await node.send(agent.data("gnb-1", cpu(0.5)))
            series = 'cl_cpu_usage_ratio{device="gnb-1"}'
            await eventually(lambda: _query(prom, series), 30, "the series in Prometheus")
            await node.send(agent.device_death("gnb-1"))
            died = time.monotonic()

            async def gone() -> bool:
                return not await _query(prom, series)

            await eventually(gone, 10, "the series gone")
            # No sample timestamps: Prometheus writes a staleness marker at the next scrape,
            # instead of holding the last value for its 5-minute lookback.
            print(f"series gone from Prometheus {time.monotonic() - died:.2f} s after the DEATH")
            assert time.monotonic() - died < 5
            assert (await _query(prom, 'cl_device_up{device="gnb-1"}'))[0]["value"][1] == "0"
        finally:
            node.close()
