"""The 求助 page of the console: open help calls, who was told, and 确认 / 已到场 / 关闭.

Every signed-in handler sees every open call: a villager waiting at a kiosk is whoever's
problem is nearest, not one department's. Each action is a form POST (CSRF-checked by
``auth.signed_in``), written to the call's append-only trail with the staff member's name,
and - for 确认 and 已到场 - told to the kiosk so the villager hears who is coming.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from hub.console import auth
from hub.console.views import page
from hub.helpcalls import desk
from hub.helpcalls.service import HELPCALLS, HelpCalls
from hub.workorders.orders import Reject

LEVELS = {"village": "村值班", "township": "乡镇值班", "none": "无人值班"}


def setup(app: web.Application) -> None:
    """Add the help-call routes."""
    app.router.add_get("/console/helpcalls", auth.signed_in(calls))
    app.router.add_post("/console/helpcalls/{call_id}", auth.signed_in(act))


async def calls(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """Open calls, oldest first; overdue ones stand out."""
    staff, helpdesk = request[auth.STAFF], _desk(request)
    rows = await helpdesk.store.read(desk.open_calls)
    now = helpdesk.clock()
    items = [_row(c, now, helpdesk) for c in rows]
    return page(
        "helpcalls.html",
        status=status,
        staff=staff,
        calls=items,
        error=error,
        escalate_minutes=f"{helpdesk.settings.escalate_after_minutes:g}",
    )


async def act(request: web.Request) -> web.Response:
    """确认, 已到场 or 关闭 one call."""
    staff, helpdesk = request[auth.STAFF], _desk(request)
    form = await request.post()
    try:
        call_id = int(request.match_info["call_id"])
    except ValueError:
        return await calls(request, "没有这个求助", status=404)
    action = str(form.get("action", ""))
    note = str(form.get("note", ""))[:500]
    coming = str(form.get("coming", ""))[:32]
    try:
        await helpdesk.act(call_id, action, f"staff:{staff.username}（{staff.name}）", note, coming)
    except Reject as exc:
        status = 404 if exc.reason in {"unknown_call", "unknown_action"} else 409
        return await calls(request, exc.message, status=status)
    raise web.HTTPSeeOther("/console/helpcalls")


def _desk(request: web.Request) -> HelpCalls:
    return request.app[HELPCALLS]


def _row(call: dict[str, Any], now: float, helpdesk: HelpCalls) -> dict[str, Any]:
    place = helpdesk.places.village(call["village"])
    tz = helpdesk.roster.tz
    notices = [
        {
            "name": n["name"],
            "level": LEVELS.get(n["level"], n["level"]),
            "escalation": n["reason"] == "escalation",
            "state": {"sent": "已送达", "pending": "发送中", "cancelled": "已取消"}.get(
                n["state"], n["state"]
            ),
            "sent": _time(n["sent"], tz),
            "attempts": n["attempts"],
            "error": n["last_error"],
        }
        for n in call["notices"]
    ]
    waiting = now - call["received"]
    return {
        "id": call["id"],
        "village": (place.village_name if place is not None and place.village_name else call["village"]),
        "township": place.township_name if place is not None else "",
        "node": call["node"],
        "received": _time(call["received"], tz),
        "minutes": int(waiting // 60),
        "state": call["state"],
        "state_label": desk.STATE_LABELS[call["state"]],
        "duty": LEVELS.get(call["duty_level"], call["duty_level"]),
        "nobody": call["duty_level"] == "none",
        "duty_name": call["duty_name"] or "",
        "help_phone": call["help_phone"],
        "notices": notices,
        "assisted_by": call["assisted_by"] or "",
        "acknowledged_by": call["acknowledged_by"] or "",
        "overdue": call["state"] == "open" and waiting >= helpdesk.escalate_after,
        "actions": [
            (a, desk.ACTION_LABELS[a]) for a, (starts, _) in desk.MOVES.items() if call["state"] in starts
        ],
    }


def _time(at: float | None, tz: Any) -> str:
    return "" if at is None else datetime.fromtimestamp(at, tz).strftime("%m-%d %H:%M")
