"""Rollouts over the API: create, list, status with every device, audit, pause/resume/abort/revert.

Admin creates and steers; read may watch. The orchestrator (hub/rollouts/) does the work;
these handlers only translate its objects and errors (a transition the state does not allow
is 409, an unknown rollout 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any

import msgspec
from aiohttp import web

from hub import keys
from hub.api.errors import ApiError
from hub.api.handlers import caller, refusing
from hub.api.registry import Api, Query, Role
from hub.rollouts.model import DeviceView, RolloutSpec, RolloutView
from hub.rollouts.orchestrator import Orchestrator, RolloutError
from hub.rollouts.records import Rollout

_TAGS = ("rollouts",)


class AuditEntry(msgspec.Struct, kw_only=True):
    """One append-only audit record."""

    seq: int
    ts: float
    actor: str
    action: str
    host: str | None
    detail: dict[str, Any]


def view(orch: Orchestrator, r: Rollout, *, devices: bool) -> RolloutView:
    counts: dict[str, int] = {}
    for dev in r.devices.values():
        counts[dev.status] = counts.get(dev.status, 0) + 1
    return RolloutView(
        id=r.id,
        spec=r.spec,
        state=r.state,
        reason=r.reason,
        wave=r.wave,
        waves=len(r.spec.waves),
        created=r.created,
        created_by=r.created_by,
        updated=r.updated,
        counts=counts,
        devices=[
            DeviceView(
                host=h,
                wave=d.wave,
                status=d.status,
                detail=d.detail,
                updated=d.updated,
                online=orch.presence.online(h),
                version=orch.presence.version(h),
            )
            for h, d in r.devices.items()
        ]
        if devices
        else [],
    )


def _orch(request: web.Request) -> Orchestrator:
    return request.app[keys.ROLLOUTS]


def _actor(request: web.Request) -> str:
    name = caller(request)
    return "anonymous" if name is None else name


def _unknown(rollout_id: str) -> AbstractContextManager[None]:
    """The orchestrator raises KeyError for an id it does not know: 404."""
    return refusing(KeyError, 404, message=lambda _: f"no rollout {rollout_id}")


def _conflict() -> AbstractContextManager[None]:
    """A transition the rollout's state does not allow: 409."""
    return refusing(RolloutError, 409)


_Steer = Callable[[Orchestrator, str, str], Awaitable[Rollout]]

#: The steering operations: (path suffix, operationId, summary, the orchestrator's method).
_STEERING: tuple[tuple[str, str, str, _Steer], ...] = (
    ("pause", "pause_rollout", "Pause: start no further wave job", Orchestrator.pause),
    ("resume", "resume_rollout", "Resume a paused rollout", Orchestrator.resume),
    ("abort", "abort_rollout", "Abort: cancel the running job, stop for good", Orchestrator.abort),
    ("revert", "revert_rollout_wave", "Pause and revert the current wave", Orchestrator.revert_wave),
)


def _steering_route(api: Api, action: str, name: str, summary: str, op: _Steer) -> None:
    """Declare ``POST /api/v1/rollouts/{id}/<action>``: one orchestrator transition, as the caller."""

    async def steer(request: web.Request) -> RolloutView:
        orch = _orch(request)
        rollout_id = request.match_info["id"]
        with _unknown(rollout_id), _conflict():
            rollout = await op(orch, rollout_id, _actor(request))
        return view(orch, rollout, devices=False)

    steer.__name__ = steer.__qualname__ = name  # the OpenAPI operationId
    api.route(
        "POST",
        f"/api/v1/rollouts/{{id}}/{action}",
        summary=summary,
        role=Role.ADMIN,
        response=RolloutView,
        tags=_TAGS,
    )(steer)


def register(api: Api) -> None:
    """Declare the rollout operations."""

    @api.route(
        "POST",
        "/api/v1/rollouts",
        summary="Start a rollout",
        role=Role.ADMIN,
        body=RolloutSpec,
        response=RolloutView,
        status=201,
        tags=_TAGS,
    )
    async def create_rollout(request: web.Request, body: RolloutSpec) -> RolloutView:
        orch = _orch(request)
        with _conflict():
            rollout = await orch.create(body, _actor(request))
        return view(orch, rollout, devices=False)

    @api.route(
        "GET",
        "/api/v1/rollouts",
        summary="Every rollout, newest last",
        response=list[RolloutView],
        tags=_TAGS,
    )
    async def list_rollouts(request: web.Request) -> list[RolloutView]:
        orch = _orch(request)
        return [view(orch, r, devices=False) for r in orch.rollouts.values()]

    @api.route(
        "GET",
        "/api/v1/rollouts/{id}",
        summary="A rollout with every device",
        response=RolloutView,
        tags=_TAGS,
    )
    async def get_rollout(request: web.Request) -> RolloutView:
        orch = _orch(request)
        rollout_id = request.match_info["id"]
        with _unknown(rollout_id):
            return view(orch, orch.get(rollout_id), devices=True)

    @api.route(
        "GET",
        "/api/v1/rollouts/{id}/audit",
        summary="A rollout's audit log",
        response=list[AuditEntry],
        query=(Query("after", "only entries after this seq", "integer"),),
        tags=_TAGS,
    )
    async def rollout_audit(request: web.Request) -> list[AuditEntry]:
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise ApiError(400, "after must be an integer") from None
        rows = await _orch(request).ledger.audit(request.match_info["id"], after)
        return [
            msgspec.convert({**r, "detail": msgspec.json.decode(r["detail"] or "{}")}, AuditEntry)
            for r in rows
        ]

    for action, name, summary, op in _STEERING:
        _steering_route(api, action, name, summary, op)
