"""HTTP routes: /metrics for Prometheus, /healthz for supervisors and load balancers, / for people.

Handlers are thin: they take a snapshot of the hub on the event loop and turn it into a
response; the one slow thing, rendering /metrics, happens in a worker thread.
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import hdrs, web

from hub import keys
from hub.snapshot import Snapshot


def take_snapshot(app: web.Application) -> Snapshot:
    """A frozen view of the hub's state and counters; call on the event loop."""
    handoff = app.get(keys.HANDOFF)
    stats = app[keys.STATS].view(
        app[keys.CLOCK](),
        overflow=handoff.overflow if handoff is not None else 0,
        backlog=handoff.backlog if handoff is not None else 0,
    )
    return app[keys.STATE].snapshot(stats)


def setup_routes(app: web.Application) -> None:
    """Register every route of the hub."""
    app.router.add_get("/", index, name="index")
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/metrics", metrics, name="metrics")


async def metrics(request: web.Request) -> web.Response:
    """The Prometheus exposition, text or OpenMetrics as the scraper asks, gzipped if accepted."""
    app = request.app
    rendered = await app[keys.RENDERER].render(
        lambda: take_snapshot(app),
        request.headers.get(hdrs.ACCEPT, ""),
        request.headers.get(hdrs.ACCEPT_ENCODING, ""),
    )
    app[keys.STATS].last_render_seconds = rendered.seconds
    headers = {hdrs.CONTENT_TYPE: rendered.content_type}
    if rendered.gzipped:
        headers[hdrs.CONTENT_ENCODING] = "gzip"
    return web.Response(body=rendered.body, headers=headers)


def health(snapshot: Snapshot, grace: float) -> tuple[bool, dict[str, Any]]:
    """Whether ingest is alive, and the facts behind the verdict.

    Healthy unless MQTT has been down longer than ``grace`` seconds: a broker restart
    should not flap the check, but a hub that cannot reach its broker is of no use.
    Silence alone is not unhealthy (a quiet fleet is possible); alert on
    cl_hub_last_message_age_seconds for that.
    """
    stats = snapshot.stats
    healthy = not stats.mqtt_enabled or stats.mqtt_connected or stats.disconnected_for <= grace
    body: dict[str, Any] = {
        "status": "ok" if healthy else "unavailable",
        "hub_id": snapshot.hub_id,
        "mqtt": {
            "enabled": stats.mqtt_enabled,
            "connected": stats.mqtt_connected,
            "disconnected_seconds": round(stats.disconnected_for, 3),
            "connects": stats.mqtt_connects,
        },
        "last_message_age_seconds": round(stats.last_message_age, 3),
        "messages": stats.total_messages,
        "rejected": sum(stats.rejected.values()),
        "nodes": {f"{kind}_{state}": n for (kind, state), n in sorted(snapshot.node_counts().items())},
        "devices": snapshot.device_counts(),
        "series": snapshot.series,
        "series_limit": snapshot.max_series,
        "ingest_backlog": stats.backlog,
    }
    return healthy, body


async def healthz(request: web.Request) -> web.Response:
    """200 while ingest is alive, 503 once MQTT has been down longer than the grace period."""
    app = request.app
    healthy, body = health(take_snapshot(app), app[keys.CONFIG].http.health_grace)
    return web.json_response(body, status=200 if healthy else 503)


_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cunlink hub{title}</title></head>
<body><h1>cunlink hub{title}</h1>
<ul>
<li><a href="{metrics}">/metrics</a> &mdash; Prometheus exposition</li>
<li><a href="{healthz}">/healthz</a> &mdash; health as JSON</li>
</ul></body></html>
"""


async def index(request: web.Request) -> web.Response:
    """A page of links, so a person pointing a browser at the hub finds their way."""
    hub_id = request.app[keys.CONFIG].hub_id
    router = request.app.router
    text = _INDEX.format(
        title=f" {html.escape(hub_id)}" if hub_id else "",
        metrics=router["metrics"].url_for(),
        healthz=router["healthz"].url_for(),
    )
    return web.Response(text=text, content_type="text/html")
