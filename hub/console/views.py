"""The handler console: server-rendered pages under /console/ for department staff.

No JavaScript: every action is a plain form POST followed by a redirect (so a reload never
repeats an action), which works on the old browsers and thin links of township offices.
Templates are Jinja2 with autoescaping on, so a villager's words can never become markup.
"""

from __future__ import annotations

import hmac
from typing import Any

import jinja2
import sqlite_utils
from aiohttp import web

from hub import keys
from hub.console import auth
from hub.workorders import accounts, feedback, media, queries
from hub.workorders.accounts import Staff
from hub.workorders.flow import (
    ACTION_LABELS,
    STATE_LABELS,
    STEPS,
    Action,
    FlowError,
    Role,
    State,
    actions_for,
)
from hub.workorders.orders import Reject
from hub.workorders.service import WorkOrders

ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("hub.console", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; media-src 'self'; img-src 'self';"
        " form-action 'self'; frame-ancestors 'none'"
    ),
}
QUEUE_VIEWS = {"todo": "待办", "overdue": "已超期", "all": "全部"}
#: What a form may ask for; withdrawing is the villager's, from the kiosk.
_ACTIONS = {a.value: a for a in Action if a is not Action.WITHDRAW}


def page(template: str, status: int = 200, **context: Any) -> web.Response:
    """Render a template as an HTML response with the console's security headers."""
    text = ENV.get_template(template).render(
        state_labels=STATE_LABELS, action_labels=ACTION_LABELS, **context
    )
    return web.Response(text=text, status=status, content_type="text/html", headers=_HEADERS)


def setup(app: web.Application) -> None:
    """Add the console routes."""
    app[auth.THROTTLE] = auth.Throttle()
    app.router.add_get("/console", _to_console)
    app.router.add_get("/console/", _home)
    app.router.add_get("/console/login", login_form)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", auth.signed_in(logout))
    app.router.add_get("/console/queue", auth.signed_in(queue))
    app.router.add_get("/console/orders/{receipt}", auth.signed_in(order))
    app.router.add_post("/console/orders/{receipt}", auth.signed_in(act))
    app.router.add_get("/console/orders/{receipt}/media/{kind:voice|photo}", auth.signed_in(order_media))
    app.router.add_get("/console/tasks", auth.signed_in(tasks))
    app.router.add_post("/console/tasks/{task_id}", auth.signed_in(finish_task))


async def _to_console(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/console/")


async def _home(request: web.Request) -> web.Response:
    staff = await auth.current_staff(request)
    raise web.HTTPSeeOther("/console/queue" if staff is not None else "/console/login")


async def login_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """The sign-in page, with a fresh double-submit token."""
    token = auth.login_token()
    response = page("login.html", status=status, csrf=token, error=error, staff=None)
    auth.set_cookie(response, request, auth.LOGIN_COOKIE, token, max_age=3600)
    return response


async def login(request: web.Request) -> web.Response:
    """Check the form token and the password, open a session."""
    form = await request.post()
    given, expected = str(form.get("csrf", "")), request.cookies.get(auth.LOGIN_COOKIE, "")
    if not expected or not auth.same_origin(request) or not _equal(given, expected):
        return await login_form(request, "页面已过期，请重新登录。", status=403)
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:256]
    staff = await auth.check_password(request, username, password)
    if staff is None:
        return await login_form(request, "用户名或密码不对（连续输错5次要等1分钟）。", status=401)
    wo = _wo(request)
    now, hours = wo.clock(), wo.settings.session_hours
    token, _ = await wo.store.write(lambda db: _open(db, staff.username, now, hours))
    response = web.HTTPSeeOther("/console/queue")
    auth.set_cookie(response, request, auth.SESSION_COOKIE, token, max_age=int(hours * 3600))
    response.del_cookie(auth.LOGIN_COOKIE, path=auth.PATH)
    raise response


async def logout(request: web.Request) -> web.Response:
    """Close the session."""
    token = request.cookies.get(auth.SESSION_COOKIE, "")
    await _wo(request).store.write(lambda db: _close(db, token))
    response = web.HTTPSeeOther("/console/login")
    response.del_cookie(auth.SESSION_COOKIE, path=auth.PATH)
    raise response


async def queue(request: web.Request) -> web.Response:
    """The staff member's queue: their department's orders (a dispatcher's: what awaits dispatch)."""
    staff, wo = request[auth.STAFF], _wo(request)
    view = request.query.get("view", "todo")
    if view not in QUEUE_VIEWS:
        view = "todo"
    dispatcher = staff.role == "dispatcher"
    department = None if dispatcher else staff.department
    states: tuple[str, ...] = (
        (State.RECEIVED.value, State.RETURNED.value) if dispatcher and view == "todo" else ()
    )
    f = queries.Filter(
        department=department,
        states=states,
        open_only=view == "todo",
        overdue=view == "overdue",
        limit=200,
    )
    now = wo.clock()
    rows, counts = await wo.store.read(
        lambda db: (queries.list_orders(db, f, now), queries.queue_counts(db, department, now))
    )
    return page(
        "queue.html",
        staff=staff,
        view=view,
        views=QUEUE_VIEWS,
        counts=counts,
        orders=[_row(o, now, wo) for o in rows],
        department_name=wo.rules.department_name(staff.department),
    )


async def order(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """One order: details, filings, history, deadline, and a form per allowed action."""
    staff, wo = request[auth.STAFF], _wo(request)
    code = request.match_info["receipt"].strip().upper()[:16]
    found = await wo.store.read(lambda db: queries.order_detail(db, code))
    if found is None or not _may_see(staff, found):
        return page("missing.html", status=404, staff=staff, receipt=code)
    now = wo.clock()
    role = Role.DISPATCHER if staff.role == "dispatcher" else Role.HANDLER
    allowed = actions_for(State(found["state"]), role)
    forms = [
        {
            "action": a.value,
            "label": ACTION_LABELS[a],
            "note": STEPS[a].needs_note,
            "department": STEPS[a].needs_department,
        }
        for a in allowed
    ]
    done_action = _ACTIONS.get(request.query.get("done", ""))
    done = ACTION_LABELS[done_action] if done_action is not None else ""
    return page(
        "order.html",
        status=status,
        staff=staff,
        order=_row(found, now, wo),
        detail=found,
        forms=forms,
        error=error,
        done=done,
        departments=[d for d in wo.rules.departments if d.id != wo.rules.default_queue],
        history=[{**h, "when": wo.calendar.short(h["at"])} for h in found["history"]],
        filings=[{**f, "when": wo.calendar.short(f["created"])} for f in found["filings"]],
    )


async def order_media(request: web.Request) -> web.Response:
    """The voice note or photo of an order, for staff who may see the order (403 otherwise)."""
    staff, wo = request[auth.STAFF], _wo(request)
    code = request.match_info["receipt"].strip().upper()[:16]
    kind = request.match_info["kind"]

    def read(db: sqlite_utils.Database) -> tuple[dict[str, Any] | None, tuple[str, bytes] | None]:
        found = queries.order_detail(db, code)
        ref = found.get(f"{kind}_ref") if found is not None else None
        return found, (media.data(db, ref) if ref else None)

    found, file = await wo.store.read(read)
    if found is None:
        raise web.HTTPNotFound(text="没有这个工单")
    if not _may_see(staff, found):
        raise web.HTTPForbidden(text="这个工单不归您的部门办理")
    if file is None:
        raise web.HTTPNotFound(text="文件还没有从终端传到")
    mime, data = file
    headers = {**_HEADERS, "Content-Disposition": "inline", "Cache-Control": "private, no-store"}
    return web.Response(body=data, content_type=mime, headers=headers)


async def act(request: web.Request) -> web.Response:
    """Apply one action from a form, then redirect back (POST/redirect/GET)."""
    staff, wo = request[auth.STAFF], _wo(request)
    form = await request.post()
    code = request.match_info["receipt"].strip().upper()[:16]
    action = _ACTIONS.get(str(form.get("action", "")))
    if action is None:
        return await order(request, "不认识的操作", status=400)
    role = Role.DISPATCHER if staff.role == "dispatcher" else Role.HANDLER
    try:
        await wo.act(
            code,
            action,
            role,
            f"staff:{staff.username}",
            str(form.get("note", ""))[:2000],
            str(form.get("department", "")) or None,
            own_department=staff.department,
        )
    except (FlowError, Reject) as exc:
        return await order(request, exc.message if isinstance(exc, Reject) else str(exc), status=409)
    raise web.HTTPSeeOther(f"/console/orders/{code}?done={action.value}")


async def tasks(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """Follow-up tasks (bad ratings) of the department, soonest deadline first."""
    staff, wo = request[auth.STAFF], _wo(request)
    department = None if staff.role == "dispatcher" else staff.department
    rows = await wo.store.read(lambda db: queries.list_tasks(db, department))
    now = wo.clock()
    items = [
        {
            **t,
            "deadline_text": wo.calendar.short(t["deadline"]),
            "overdue": now > t["deadline"],
            "days_left": wo.calendar.working_days_left(now, t["deadline"]),
        }
        for t in rows
    ]
    return page("tasks.html", status=status, staff=staff, tasks=items, error=error)


async def finish_task(request: web.Request) -> web.Response:
    """Mark a follow-up task done with what was done."""
    staff, wo = request[auth.STAFF], _wo(request)
    form = await request.post()
    try:
        task_id = int(request.match_info["task_id"])
    except ValueError:
        return await tasks(request, "没有这个任务", status=404)
    department = None if staff.role == "dispatcher" else staff.department
    now = wo.clock()
    note = str(form.get("note", ""))[:2000]
    try:
        await wo.store.write(
            lambda db: feedback.finish_task(db, task_id, f"staff:{staff.username}", note, now, department)
        )
    except Reject as exc:
        return await tasks(request, exc.message, status=409)
    raise web.HTTPSeeOther("/console/tasks")


# -- helpers ----------------------------------------------------------------------------------


def _wo(request: web.Request) -> WorkOrders:
    return request.app[keys.WORKORDERS]


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _open(db: sqlite_utils.Database, username: str, now: float, hours: float) -> tuple[str, str]:
    return accounts.open_session(db, username, now, hours)


def _close(db: sqlite_utils.Database, token: str) -> None:
    accounts.close_session(db, token)


def _may_see(staff: Staff, order: dict[str, Any]) -> bool:
    return staff.role == "dispatcher" or order["department"] == staff.department


def _row(o: dict[str, Any], now: float, wo: WorkOrders) -> dict[str, Any]:
    category = wo.rules.category(o["category"])
    place = wo.places.village(o["village"])
    left = wo.calendar.working_days_left(now, o["deadline"])
    return {
        **o,
        "category_name": category.name if category else o["category"],
        "place": place.address if place is not None and place.village_name else o["village"],
        "state_name": STATE_LABELS[State(o["state"])],
        "department_name": wo.rules.department_name(o["department"]),
        "created_text": wo.calendar.short(o["created"]),
        "deadline_text": wo.calendar.short(o["deadline"] - 1)[:10],
        "overdue": queries.is_overdue(o, now),
        "days_left": left,
    }
