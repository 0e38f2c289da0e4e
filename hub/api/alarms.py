"""Alarms over the API: active ones from memory, history from SQLite, acknowledgement by admins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import sqlite_utils
from aiohttp import web

from hub import keys
from hub.alarms.engine import SEVERITIES, Alarm
from hub.alarms.schema import COLUMNS
from hub.api.errors import ApiError
from hub.api.handlers import caller, found
from hub.api.params import LIMIT, OFFSET, choice, page, text
from hub.api.registry import Api, Query, Role

_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM alarms"  # noqa: S608 - fixed column names


class AlarmOut(msgspec.Struct, kw_only=True):
    """One alarm episode (times are seconds since the epoch; ``cleared`` is null while active)."""

    id: int
    source: str
    entity: str
    target: str
    node: str
    kind: str
    alarm: str
    resource: str
    severity: str
    text: str
    raised: float
    last: float
    count: int
    cleared: float | None
    acked_by: str | None
    acked: float | None


class AlarmList(msgspec.Struct, kw_only=True):
    total: int
    items: list[AlarmOut]


def _out(alarm: Alarm) -> AlarmOut:
    return AlarmOut(**{name: getattr(alarm, name) for name in COLUMNS})


def _history(
    state: str, severity: str | None, target: str | None, name: str | None, *, limit: int, offset: int
) -> Callable[[sqlite_utils.Database], tuple[int, list[dict[str, Any]]]]:
    def read(db: sqlite_utils.Database) -> tuple[int, list[dict[str, Any]]]:
        where, args = ["cleared IS NOT NULL"] if state == "cleared" else [], []
        for column, value in (("severity", severity), ("target", target), ("alarm", name)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        # Only fixed column names go into the SQL text; values are bound.
        total = db.conn.execute("SELECT COUNT(*) FROM alarms" + clause, args).fetchone()[0]  # noqa: S608
        rows = db.conn.execute(
            _SELECT + clause + " ORDER BY id DESC LIMIT ? OFFSET ?",
            (*args, limit, offset),
        ).fetchall()
        return int(total), [dict(zip(COLUMNS, row, strict=True)) for row in rows]

    return read


def register(api: Api) -> None:
    """Declare the alarm operations."""

    @api.route(
        "GET",
        "/api/v1/alarms",
        summary="Alarms: active (default), cleared, or all, newest history first",
        response=AlarmList,
        query=(
            Query("state", "active (default), cleared or all."),
            Query("severity", ", ".join(SEVERITIES)),
            Query("target", "A device or node id."),
            Query("alarm", "An alarm name, e.g. link_down."),
            LIMIT,
            OFFSET,
        ),
        tags=("alarms",),
    )
    async def list_alarms(request: web.Request) -> AlarmList:
        limit, offset = page(request)
        state = choice(request, "state", ("active", "cleared", "all"), "active") or "active"
        severity = choice(request, "severity", SEVERITIES)
        target, name = text(request, "target"), text(request, "alarm")
        app = request.app
        if state == "active":
            chosen = [
                a
                for a in app[keys.ALARMS].active()
                if (not severity or a.severity == severity)
                and (not target or a.target == target)
                and (not name or a.alarm == name)
            ]
            return AlarmList(total=len(chosen), items=[_out(a) for a in chosen[offset : offset + limit]])
        # History is in SQLite: flush first so that what was just cleared is there.
        await app[keys.ALARMS].flush()
        total, rows = await app[keys.ALARMS_DB].read(
            _history(state, severity, target, name, limit=limit, offset=offset)
        )
        return AlarmList(total=total, items=[AlarmOut(**row) for row in rows])

    @api.route(
        "GET",
        "/api/v1/alarms/{id}",
        summary="One alarm, active or cleared",
        response=AlarmOut,
        tags=("alarms",),
    )
    async def get_alarm(request: web.Request) -> AlarmOut:
        alarm_id = _id(request)
        app = request.app
        active = app[keys.ALARMS].find_active(alarm_id)
        if active is not None:
            return _out(active)
        await app[keys.ALARMS].flush()
        row = await app[keys.ALARMS_DB].read(
            lambda db: db.conn.execute(_SELECT + " WHERE id = ?", (alarm_id,)).fetchone()
        )
        return AlarmOut(**dict(zip(COLUMNS, found(row, f"no alarm {alarm_id}"), strict=True)))

    @api.route(
        "POST",
        "/api/v1/alarms/{id}/ack",
        summary="Acknowledge an active alarm (records who saw it)",
        role=Role.ADMIN,
        response=AlarmOut,
        tags=("alarms",),
    )
    async def ack_alarm(request: web.Request) -> AlarmOut:
        alarm_id = _id(request)
        name = caller(request)
        acked = request.app[keys.ALARMS].acknowledge(alarm_id, "unknown" if name is None else name)
        return _out(found(acked, f"no active alarm {alarm_id}"))


def _id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ApiError(404, f"no alarm {raw[:40]!r}")
    return int(raw)
