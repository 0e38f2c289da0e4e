"""Work orders over the REST API: list, read, file, act, export, follow-ups, integrity signals.

Reads need the ``read`` role, anything that changes an order ``admin``; the token's name
is recorded as the actor in the order's history (``api:<name>``). Errors are the API's
JSON errors: 404 for an unknown receipt, 409 for a step the flow does not allow, 422 for
input the rules refuse.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated, Any

import msgspec
from aiohttp import web

from hub import keys
from hub.api.errors import ApiError
from hub.api.handlers import caller, found, refusing
from hub.api.registry import Api, Query, Role
from hub.workorders import codes, export, feedback, queries
from hub.workorders.flow import Action, FlowError
from hub.workorders.flow import Role as FlowRole
from hub.workorders.integrity import bursts
from hub.workorders.orders import NewAppeal, Reject
from hub.workorders.service import WorkOrders
from hub.workorders.views import Detail, OrderList, detail, summary

_TAGS = ("workorders",)
MAX_OFFSET = 10_000_000


class NewOrder(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An appeal filed by another system (a hotline operator, a township office)."""

    category: str
    village: str
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    contact: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    attributes: dict[str, str] = {}


class Filed(msgspec.Struct, kw_only=True):
    """Where an appeal went: its own receipt, and the order's when it was a 附议."""

    receipt: str
    order_receipt: str
    seconded: bool


class ActionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One step of the flow."""

    action: Action
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    department: str | None = None


class TaskOut(msgspec.Struct, kw_only=True):
    """A follow-up task from a bad rating."""

    id: int
    department: str
    state: str
    created: str
    deadline: str
    overdue: bool
    receipt: str | None
    score: int | None
    comment: str | None
    note: str


class TaskList(msgspec.Struct, kw_only=True):
    items: list[TaskOut]


class Done(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class BurstOut(msgspec.Struct, kw_only=True):
    """A burst: how many requests of one kind one source sent within the window."""

    source: str
    id: str
    kind: str
    count: int
    threshold: int
    start: str
    end: str


class BurstList(msgspec.Struct, kw_only=True):
    window_seconds: int
    items: list[BurstOut]


def service(request: web.Request) -> WorkOrders:
    """The running service, or 503 when the hub was built without it."""
    found = request.app.get(keys.WORKORDERS)
    if found is None:
        raise ApiError(503, "work orders are disabled on this hub")
    return found


def actor(request: web.Request) -> str:
    """``api:<token name>``."""
    name = caller(request)
    return f"api:{name}" if name is not None else "api"


def rejected(unknown: str | None = None) -> AbstractContextManager[None]:
    """A :class:`Reject` from the rules: 404 when its reason is ``unknown``, else 422; code = reason."""
    return refusing(
        Reject,
        lambda exc: 404 if exc.reason == unknown else 422,
        code=lambda exc: exc.reason,
        message=lambda exc: exc.message,
    )


def _filter(request: web.Request) -> queries.Filter:
    q = request.query
    try:
        limit = int(q.get("limit", "100"))
        offset = int(q.get("offset", "0"))
    except ValueError:
        raise ApiError(400, "limit and offset must be integers") from None
    if not (1 <= limit <= queries.MAX_LIMIT and 0 <= offset <= MAX_OFFSET):
        raise ApiError(400, f"limit must be 1-{queries.MAX_LIMIT} and offset 0-{MAX_OFFSET}")
    return queries.Filter(
        department=q.get("department"),
        state=q.get("state"),
        category=q.get("category"),
        village=q.get("village"),
        county=q.get("county"),
        open_only=q.get("open") == "true",
        overdue=q.get("overdue") == "true",
        limit=limit,
        offset=offset,
    )


_LIST_QUERY = (
    Query("department", "department id"),
    Query("state", "state (received, dispatched, ...)"),
    Query("category", "category id"),
    Query("village", "village code"),
    Query("county", "county code"),
    Query("open", "true: open orders only", type="boolean"),
    Query("overdue", "true: overdue orders only", type="boolean"),
    Query("limit", "page size, at most 1000", type="integer"),
    Query("offset", "rows to skip", type="integer"),
)


def register(api: Api) -> None:
    """Declare the work-order operations."""

    @api.route(
        "GET",
        "/api/v1/workorders",
        summary="List work orders",
        response=OrderList,
        query=_LIST_QUERY,
        tags=_TAGS,
    )
    async def list_workorders(request: web.Request) -> OrderList:
        wo = service(request)
        f = _filter(request)
        now = wo.clock()
        rows = await wo.store.read(lambda db: queries.list_orders(db, f, now))
        return OrderList(items=[summary(o, now, wo.calendar) for o in rows], limit=f.limit, offset=f.offset)

    @api.route(
        "GET",
        "/api/v1/workorders/{receipt}",
        summary="One work order with its history",
        response=Detail,
        tags=_TAGS,
    )
    async def get_workorder(request: web.Request) -> Detail:
        return await _detail(service(request), _code(request.match_info["receipt"]))

    @api.route(
        "POST",
        "/api/v1/workorders",
        summary="File an appeal",
        role=Role.ADMIN,
        body=NewOrder,
        response=Filed,
        status=201,
        tags=_TAGS,
    )
    async def file_workorder(request: web.Request, body: NewOrder) -> Filed:
        wo = service(request)
        if wo.rules.category(body.category) is None:
            raise ApiError(422, f"unknown category {body.category!r}", code="unknown_category")
        place = wo.places.village(body.village)
        if place is None:
            raise ApiError(422, f"unknown village {body.village!r}", code="unknown_village")
        if len(body.text) > wo.rules.limits.text_chars:
            raise ApiError(
                422, f"text longer than {wo.rules.limits.text_chars} characters", code="text_too_long"
            )
        filed = await wo.file(
            NewAppeal(
                category=body.category,
                place=place,
                text=body.text,
                source="api",
                actor=actor(request),
                contact=body.contact,
                attributes=dict(body.attributes),
            )
        )
        return Filed(receipt=filed.receipt, order_receipt=filed.order_receipt, seconded=filed.seconded)

    @api.route(
        "POST",
        "/api/v1/workorders/{receipt}/actions",
        summary="Take one step of the 12345 flow",
        role=Role.ADMIN,
        body=ActionIn,
        response=Detail,
        tags=_TAGS,
    )
    async def act_on_workorder(request: web.Request, body: ActionIn) -> Detail:
        wo = service(request)
        code = _code(request.match_info["receipt"])
        if body.action is Action.WITHDRAW:
            raise ApiError(409, "only the villager can withdraw, from the kiosk", code="flow")
        with rejected("unknown_receipt"), refusing(FlowError, 409, code="flow"):
            await wo.act(code, body.action, FlowRole.ADMIN, actor(request), body.note, body.department)
        return await _detail(wo, code)

    @api.route(
        "GET",
        "/api/v1/export/workorders.json",
        summary="Export (shared schema)",
        response=list[export.ExportRow],
        query=_LIST_QUERY,
        tags=_TAGS,
    )
    async def export_json(request: web.Request) -> list[export.ExportRow]:
        return await _export(request)

    @api.route(
        "GET",
        "/api/v1/export/workorders.csv",
        summary="Export as CSV (same columns)",
        query=_LIST_QUERY,
        tags=_TAGS,
    )
    async def export_csv(request: web.Request) -> web.Response:
        rows = await _export(request)
        return web.Response(
            body=export.to_csv(rows),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="workorders.csv"'},
        )

    @api.route(
        "GET",
        "/api/v1/followups",
        summary="Follow-up tasks from bad ratings",
        response=TaskList,
        query=(Query("department", "department id"), Query("all", "true: done ones too", type="boolean")),
        tags=_TAGS,
    )
    async def list_followups(request: web.Request) -> TaskList:
        wo = service(request)
        department = request.query.get("department")
        open_only = request.query.get("all") != "true"
        rows = await wo.store.read(lambda db: queries.list_tasks(db, department, open_only))
        now = wo.clock()
        return TaskList(items=[_task(t, now, wo) for t in rows])

    @api.route(
        "POST",
        "/api/v1/followups/{task_id}/done",
        summary="Close a follow-up task",
        role=Role.ADMIN,
        body=Done,
        response=TaskList,
        tags=_TAGS,
    )
    async def finish_followup(request: web.Request, body: Done) -> TaskList:
        wo = service(request)
        with refusing(ValueError, 404, message=lambda _: "no such task"):
            task_id = int(request.match_info["task_id"])
        now = wo.clock()
        with rejected("unknown_task"):
            await wo.store.write(
                lambda db: feedback.finish_task(db, task_id, actor(request), body.note, now, None)
            )
        rows = await wo.store.read(lambda db: queries.list_tasks(db, None, False))
        return TaskList(items=[_task(t, now, wo) for t in rows if t["id"] == task_id])

    @api.route(
        "GET",
        "/api/v1/integrity",
        summary="Bursts that suggest proxy filling",
        response=BurstList,
        tags=_TAGS,
    )
    async def integrity(request: web.Request) -> BurstList:
        wo = service(request)
        now = wo.clock()
        found = await wo.store.read(lambda db: bursts(db, wo.rules, now))
        cal = wo.calendar
        return BurstList(
            window_seconds=wo.rules.integrity.window_seconds,
            items=[
                BurstOut(
                    source=b.source,
                    id=b.id,
                    kind=b.kind,
                    count=b.count,
                    threshold=b.threshold,
                    start=cal.iso(b.start_ms / 1000),
                    end=cal.iso(b.end_ms / 1000),
                )
                for b in found
            ],
        )


def _code(raw: str) -> str:
    code = codes.normalise(raw)
    if not codes.valid_code(code):
        raise ApiError(
            400, f"{raw[:32]!r} is not a receipt code (6-8 of 0-9 A-Z without I L O U)", code="bad_receipt"
        )
    return code


async def _detail(wo: WorkOrders, code: str) -> Detail:
    order = await wo.store.read(lambda db: queries.order_detail(db, code))
    return detail(found(order, f"no work order with receipt {code}"), wo.clock(), wo.calendar, wo.rules)


async def _export(request: web.Request) -> list[export.ExportRow]:
    wo = service(request)
    f = _filter(request)
    now = wo.clock()
    return await wo.store.read(lambda db: export.export_rows(db, f, now, wo.rules, wo.calendar, wo.places))


def _task(t: dict[str, Any], now: float, wo: WorkOrders) -> TaskOut:
    return TaskOut(
        id=t["id"],
        department=t["department"],
        state=t["state"],
        created=wo.calendar.iso(t["created"]),
        deadline=wo.calendar.iso(t["deadline"]),
        overdue=t["state"] == "open" and now > t["deadline"],
        receipt=t["receipt"],
        score=t["score"],
        comment=t["comment"],
        note=t["note"],
    )
