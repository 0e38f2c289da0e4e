"""The HTTP side of the app, built without a broker and fed through its dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub import keys
from hub.app import create_app
from hub.clock import ManualClock
from hub.config import HubConfig
from hub.ingest.handoff import Raw
from hub.routes import health, take_snapshot
from tests.hub.messages import FakeNode, cpu, octets


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock: ManualClock) -> web.Application:
    return create_app(HubConfig(hub_id="test-hub"), clock=clock, with_mqtt=False)


@pytest.fixture
async def client(app: web.Application) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _feed(app: web.Application, *messages: tuple[str, bytes]) -> None:
    for topic, payload in messages:
        app[keys.DISPATCHER].handle(Raw(topic, payload, app[keys.CLOCK]()))


async def test_metrics_shows_fed_messages(client: TestClient[web.Request, web.Application]) -> None:
    agent = FakeNode()
    _feed(
        client.app, agent.birth(devices=["gnb-1"]), agent.device_birth("gnb-1"), agent.data("gnb-1", cpu(0.5))
    )
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = await resp.text()
    assert 'cl_cpu_usage_ratio{device="gnb-1"} 0.5' in text
    assert 'cl_hub_info{contract="1",hub_id="test-hub"} 1.0' in text


async def test_metrics_gzip_and_openmetrics(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get(
        "/metrics",
        headers={"Accept": "application/openmetrics-text; version=1.0.0", "Accept-Encoding": "gzip"},
        auto_decompress=False,
    )
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
    assert gzip.decompress(await resp.read()).endswith(b"# EOF\n")


async def test_healthz_and_index(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok"
    assert body["mqtt"]["enabled"] is False
    assert body["hub_id"] == "test-hub"
    index = await (await client.get("/")).text()
    assert 'href="/metrics"' in index
    assert 'href="/healthz"' in index


def test_health_turns_503_after_the_grace_period(clock: ManualClock) -> None:
    app = create_app(HubConfig(), clock=clock, with_mqtt=True)  # never started: never connected
    stats = app[keys.STATS]
    grace = app[keys.CONFIG].http.health_grace
    clock.advance(grace - 1)
    assert health(take_snapshot(app), grace)[0]
    clock.advance(2)
    healthy, body = health(take_snapshot(app), grace)
    assert not healthy
    assert body["mqtt"]["disconnected_seconds"] == pytest.approx(grace + 1)
    stats.connection(True, clock())
    assert health(take_snapshot(app), grace)[0]
    # A broker restart within the grace period does not flap the check.
    stats.connection(False, clock())
    clock.advance(grace / 2)
    assert health(take_snapshot(app), grace)[0]


async def test_render_runs_off_the_event_loop(client: TestClient[web.Request, web.Application]) -> None:
    """While a big exposition renders, the loop keeps ticking (ingest would keep flowing)."""
    agent = FakeNode()
    devices = [f"gnb-{i}" for i in range(1500)]
    _feed(client.app, agent.birth(devices=devices))
    for device in devices:
        _feed(client.app, agent.device_birth(device))
        _feed(client.app, agent.data(device, cpu(0.5), *(octets(f"eth{j}", j) for j in range(19))))
    assert client.app[keys.STATE].series == 30_000
    ticks: list[float] = []

    async def tick() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    try:
        start = time.perf_counter()
        resp = await client.get("/metrics")
        body = await resp.read()
        took = time.perf_counter() - start
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
    assert body.count(b"\ncl_if_hc_in_octets_total{") == 28_500
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    # The GIL is shared with the render thread, so ticks slow down, but never stop for a whole render.
    assert len(ticks) > 3
    print(f"render of 30k series: {took * 1000:.0f} ms wall, longest loop stall {max(gaps) * 1000:.0f} ms")
    assert max(gaps) < took / 2, (max(gaps), took)
