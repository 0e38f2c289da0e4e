"""The simulator's HTTP control API (aiohttp, loopback only).

    GET    /health                  {"ok": true}
    GET    /devices[?kind=gnb]      served devices with state and active faults
    GET    /devices/{id}            one device, with interfaces and battery
    GET    /faults                  active faults by device
    POST   /faults                  {"device", "fault", "params"} -> 201
    DELETE /faults/{id}[?fault=x]   clear all (or one) of a device's faults
    GET    /clock                   {"frozen", "now", "speed"}
    POST   /clock                   {"frozen": bool} and/or {"advance": seconds}
    GET    /stats                   packet counters of the v2c and v3 agents

Errors are JSON ``{"error": "..."}`` with status 400 (bad request) or 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from simulator.clock import SimClock
from simulator.device import SimDevice
from simulator.faults import FaultError, FaultInjector, FaultRequest
from simulator.registry import DeviceSet


class ClockRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Body of ``POST /clock``."""

    frozen: bool | None = None
    advance: float | None = None


DEVICES = web.AppKey("devices", DeviceSet)
CLOCK = web.AppKey("clock", SimClock)
INJECTOR = web.AppKey("injector", FaultInjector)
STATS: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("stats")


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=msgspec.json.encode(data), status=status, content_type="application/json")


def _error(message: str, status: int) -> web.Response:
    return _json({"error": message}, status)


def _summary(dev: SimDevice, t: float) -> dict[str, object]:
    return {
        "id": dev.id,
        "kind": dev.kind,
        "site": dev.spec.site,
        "context": dev.id,
        "responding": dev.responsive(t),
        "powered": dev.kind == "ups" or dev.power.powered(t),
        "uptime_s": round(max(0.0, t - dev.boot_at), 2),
        "reboots": dev.reboots,
        "faults": dev.faults,
        "labels": dev.labels,
    }


async def _body(request: web.Request, kind: type[Any]) -> Any:
    """Decode a JSON body strictly; a bad body becomes a 400 in :func:`_bad_body_is_400`."""
    return msgspec.json.decode(await request.read(), type=kind)


@web.middleware
async def _bad_body_is_400(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except msgspec.DecodeError as exc:  # includes ValidationError
        return _error(str(exc), 400)


async def health(_request: web.Request) -> web.Response:
    return _json({"ok": True})


async def list_devices(request: web.Request) -> web.Response:
    devices = request.app[DEVICES]
    t = request.app[CLOCK].now()
    kind = request.query.get("kind")
    return _json([_summary(d, t) for d in devices.devices if kind is None or d.kind == kind])


async def get_device(request: web.Request) -> web.Response:
    t = request.app[CLOCK].now()
    try:
        dev = request.app[DEVICES].get(request.match_info["device"])
    except KeyError:
        return _error(f"unknown device {request.match_info['device']!r}", 404)
    detail = _summary(dev, t)
    detail["interfaces"] = [
        {
            "ifindex": n,
            "name": i.name.decode(),
            "oper_up": i.oper_up,
            "in_octets": i.octets(t, False),
            "out_octets": i.octets(t, True),
        }
        for n, i in enumerate(dev.ifaces, start=1)
    ]
    detail["battery"] = {
        "on_battery": dev.power.on_battery,
        "charge": round(dev.power.charge_at(t), 2),
        "minutes_remaining": dev.power.minutes_remaining(t),
    }
    return _json(detail)


async def list_faults(request: web.Request) -> web.Response:
    return _json(request.app[INJECTOR].active())


async def post_fault(request: web.Request) -> web.Response:
    req = await _body(request, FaultRequest)
    try:
        active = request.app[INJECTOR].apply(req)
    except FaultError as exc:
        return _error(str(exc), exc.status)
    return _json({"device": req.device, "fault": req.fault, "faults": active}, 201)


async def delete_faults(request: web.Request) -> web.Response:
    try:
        cleared = request.app[INJECTOR].clear(request.match_info["device"], request.query.get("fault"))
    except FaultError as exc:
        return _error(str(exc), exc.status)
    return _json({"device": request.match_info["device"], "cleared": cleared})


def _clock_state(clock: SimClock) -> dict[str, object]:
    return {"frozen": clock.frozen, "now": clock.now(), "speed": clock.speed}


async def get_clock(request: web.Request) -> web.Response:
    return _json(_clock_state(request.app[CLOCK]))


async def post_clock(request: web.Request) -> web.Response:
    req = await _body(request, ClockRequest)
    clock = request.app[CLOCK]
    if req.advance is not None and req.advance < 0:
        return _error("advance must not be negative", 400)
    if req.frozen is True:
        clock.freeze()
    elif req.frozen is False:
        clock.unfreeze()
    if req.advance:
        clock.advance(req.advance)
    return _json(_clock_state(clock))


async def stats(request: web.Request) -> web.Response:
    return _json(request.app[STATS]())


def create_app(
    devices: DeviceSet, clock: SimClock, injector: FaultInjector, stats_fn: Callable[[], dict[str, Any]]
) -> web.Application:
    """The control application; the caller runs it (see :mod:`simulator.server`)."""
    app = web.Application(middlewares=[_bad_body_is_400])
    app[DEVICES] = devices
    app[CLOCK] = clock
    app[INJECTOR] = injector
    app[STATS] = stats_fn
    app.router.add_get("/health", health)
    app.router.add_get("/devices", list_devices)
    app.router.add_get("/devices/{device}", get_device)
    app.router.add_get("/faults", list_faults)
    app.router.add_post("/faults", post_fault)
    app.router.add_delete("/faults/{device}", delete_faults)
    app.router.add_get("/clock", get_clock)
    app.router.add_post("/clock", post_clock)
    app.router.add_get("/stats", stats)
    return app
