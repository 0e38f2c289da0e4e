"""Fleet summary over the API: what is online, by kind. Devices and nodes in detail live beside it."""

from __future__ import annotations

import msgspec
from aiohttp import web

from hub import keys
from hub.api.registry import Api, Role
from hub.routes import take_snapshot


class KindCount(msgspec.Struct, kw_only=True):
    """Online and offline counts of one kind."""

    kind: str
    online: int
    offline: int


class FleetSummary(msgspec.Struct, kw_only=True):
    """Counts of nodes and devices, and the hub's own ingest health."""

    nodes: list[KindCount]
    devices: list[KindCount]
    mqtt_connected: bool
    last_message_age_seconds: float | None


def register(api: Api) -> None:
    """Declare the summary operation."""

    @api.route(
        "GET",
        "/api/v1/summary",
        summary="Fleet summary: nodes and devices online by kind",
        role=Role.READ,
        response=FleetSummary,
        tags=("fleet",),
    )
    async def fleet_summary(request: web.Request) -> FleetSummary:
        snap = take_snapshot(request.app)
        nodes: dict[str, list[int]] = {}
        for node in snap.nodes:
            nodes.setdefault(node.kind.value, [0, 0])[0 if node.online else 1] += 1
        devices: dict[str, list[int]] = {}
        for device in snap.devices:
            devices.setdefault(device.kind, [0, 0])[0 if device.online else 1] += 1
        stats = request.app[keys.STATS]
        now = request.app[keys.CLOCK]()
        return FleetSummary(
            nodes=[KindCount(kind=k, online=v[0], offline=v[1]) for k, v in sorted(nodes.items())],
            devices=[KindCount(kind=k, online=v[0], offline=v[1]) for k, v in sorted(devices.items())],
            mqtt_connected=stats.mqtt_connected,
            last_message_age_seconds=None
            if stats.last_message is None
            else max(0.0, now - stats.last_message),
        )
