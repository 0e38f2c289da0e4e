"""Work orders in the database: filing (or seconding), acting through the flow, history, pushes.

Every function here runs inside one write transaction on the store's writer thread and
takes the clock reading from its caller, so a whole batch of kiosk requests is one
durable commit and one consistent time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from hub.workorders import codes
from hub.workorders.calendar import WorkCalendar
from hub.workorders.flow import OPEN, Action, FlowError, Role, State, step
from hub.workorders.places import Place
from hub.workorders.rules import Rules

_DAY = 86400.0


class Reject(Exception):
    """Bad input: nothing was changed. ``reason`` is a bounded token (a metric label)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every operation needs besides the database."""

    rules: Rules
    calendar: WorkCalendar


@dataclass(frozen=True, slots=True)
class Push:
    """A status to send to one kiosk for one receipt (CMD receipt_status)."""

    node: str
    receipt: str
    status: str
    notes: str
    updated: float


@dataclass(slots=True)
class NewAppeal:
    """An appeal from any channel (kiosk, Open311, API), already validated."""

    category: str
    place: Place
    text: str
    source: str
    actor: str
    node: str | None = None
    client_id: str | None = None
    contact: str | None = None
    voice_ref: str | None = None
    photo_ref: str | None = None
    media_url: str | None = None
    assisted_by: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    wanted_receipt: str | None = None


@dataclass(frozen=True, slots=True)
class Filed:
    """What filing did: a new order, or a second (附议) on an open one."""

    order_id: int
    receipt: str
    """The filer's own code (adopted from the kiosk when free)."""
    order_receipt: str
    seconded: bool
    pushes: list[Push]


def find_order(db: sqlite_utils.Database, code: str) -> dict[str, Any] | None:
    """The order any of its receipt codes leads to."""
    rows = list(
        db.query(
            "SELECT o.* FROM filings f JOIN orders o ON o.id = f.order_id WHERE f.receipt = ?",
            [code],
        )
    )
    return rows[0] if rows else None


def claim_code(db: sqlite_utils.Database, wanted: str | None) -> str:
    """The kiosk's code if it is free, else a fresh 8-symbol hub code."""
    if wanted is not None and not _taken(db, wanted):
        return wanted
    for _ in range(50):
        code = codes.new_code()
        if not _taken(db, code):
            return code
    msg = "no free receipt code after 50 tries"
    raise RuntimeError(msg)


def _taken(db: sqlite_utils.Database, code: str) -> bool:
    return bool(list(db.query("SELECT 1 FROM filings WHERE receipt = ?", [code])))


def similar_open(
    db: sqlite_utils.Database, rules: Rules, category: str, village: str, now: float
) -> dict[str, Any] | None:
    """The oldest open order of this category in this village within the duplicate window."""
    if rules.duplicate_days <= 0:
        return None
    states = sorted(s.value for s in OPEN)
    rows = list(
        db.query(
            f"SELECT * FROM orders WHERE category = ? AND village = ? AND created >= ?"  # noqa: S608 - placeholders only
            f" AND state IN ({','.join('?' * len(states))}) ORDER BY created LIMIT 1",
            [category, village, now - rules.duplicate_days * _DAY, *states],
        )
    )
    return rows[0] if rows else None


def file_appeal(db: sqlite_utils.Database, ctx: Ctx, a: NewAppeal, now: float) -> Filed:
    """Create a work order, or second the open one on the same matter, with history and pushes."""
    receipt = claim_code(db, a.wanted_receipt)
    existing = similar_open(db, ctx.rules, a.category, a.place.village, now)
    if existing is not None:
        _add_filing(db, existing["id"], receipt, a, now, primary=False)
        db.execute("UPDATE orders SET seconds = seconds + 1, updated = ? WHERE id = ?", [now, existing["id"]])
        note = f"附议（{receipt}）：{a.text[:200]}" if a.text else f"附议（{receipt}）"
        history(
            db,
            existing["id"],
            now,
            a.actor,
            Role.VILLAGER,
            "second",
            existing["state"],
            existing["state"],
            None,
            note,
        )
        push = _queue_push(db, a.node, receipt, existing["state"], existing["status_notes"], now)
        return Filed(existing["id"], receipt, existing["receipt"], True, push)
    category = ctx.rules.category(a.category)
    days = category.deadline_days if category is not None else 7
    department, route = ctx.rules.route(a.category, a.place.village, a.place.township, a.place.county)
    cursor = db.execute(
        "INSERT INTO orders (receipt, category, village, township, county, text, voice_ref, photo_ref,"
        " media_url, attributes, source, node, state, department, created, updated, deadline)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            receipt,
            a.category,
            a.place.village,
            a.place.township,
            a.place.county,
            a.text,
            a.voice_ref,
            a.photo_ref,
            a.media_url,
            json.dumps(a.attributes, ensure_ascii=False, sort_keys=True),
            a.source,
            a.node,
            State.RECEIVED.value,
            ctx.rules.default_queue,
            now,
            now,
            ctx.calendar.deadline(now, days),
        ],
    )
    order_id = int(cursor.lastrowid or 0)
    _add_filing(db, order_id, receipt, a, now, primary=True)
    history(
        db, order_id, now, a.actor, Role.VILLAGER, "file", None, State.RECEIVED, ctx.rules.default_queue, ""
    )
    state = State.RECEIVED
    if route is not None:
        _move(db, order_id, State.RECEIVED, State.DISPATCHED, now, department=department)
        history(
            db,
            order_id,
            now,
            "system",
            Role.SYSTEM,
            Action.DISPATCH,
            State.RECEIVED,
            State.DISPATCHED,
            department,
            f"按分派规则 routes[{route}] 自动派单",
        )
        state = State.DISPATCHED
    return Filed(order_id, receipt, receipt, False, _queue_push(db, a.node, receipt, state, "", now))


def _add_filing(
    db: sqlite_utils.Database, order_id: int, receipt: str, a: NewAppeal, now: float, *, primary: bool
) -> None:
    db.execute(
        "INSERT INTO filings (order_id, receipt, node, client_id, text, contact, assisted_by, created,"
        " is_primary)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        [order_id, receipt, a.node, a.client_id, a.text, a.contact, a.assisted_by, now, int(primary)],
    )


def act(  # noqa: PLR0917 - one call site per channel, all keyword-heavy
    db: sqlite_utils.Database,
    ctx: Ctx,
    code: str,
    action: Action,
    role: Role,
    actor: str,
    now: float,
    *,
    note: str = "",
    department: str | None = None,
    own_department: str | None = None,
) -> tuple[dict[str, Any], list[Push]]:
    """Apply one flow action; FlowError or Reject when not allowed (nothing changes then)."""
    order = find_order(db, code)
    if order is None:
        raise Reject("unknown_receipt", f"没有回执码为 {code} 的工单")
    if own_department is not None and role is Role.HANDLER and order["department"] != own_department:
        raise FlowError("这张工单不在你的部门，不能处理")
    current = State(order["state"])
    row = step(action, current, role)
    note = note.strip()
    if row.needs_note and not note:
        raise FlowError("请填写说明（退回原因、答复或办结情况）")
    target_department = order["department"]
    if row.needs_department:
        if department is None or ctx.rules.department(department) is None:
            raise FlowError("请选择要派给的部门")
        target_department = department
    updates: dict[str, Any] = {}
    if action in (Action.REPLY, Action.RESOLVE):
        updates["status_notes"] = note
    if action is Action.RESOLVE:
        updates["resolved"] = now
        if order["first_resolved"] is None:
            updates["first_resolved"] = now
    if action in (Action.CLOSE, Action.WITHDRAW):
        updates["closed"] = now
    if action is Action.REOPEN:
        category = ctx.rules.category(order["category"])
        days = category.deadline_days if category is not None else 7
        updates.update(reopened=order["reopened"] + 1, deadline=ctx.calendar.deadline(now, days), closed=None)
    _move(db, order["id"], current, row.target, now, department=target_department, **updates)
    history(db, order["id"], now, actor, role, action, current, row.target, target_department, note)
    fresh = find_order(db, order["receipt"])
    assert fresh is not None
    return fresh, order_pushes(db, fresh, now)


def _move(
    db: sqlite_utils.Database, order_id: int, source: State, target: State, now: float, **columns: Any
) -> None:
    sets = ", ".join(f"{name} = ?" for name in columns)
    db.execute(
        f"UPDATE orders SET state = ?, updated = ?{', ' + sets if sets else ''} WHERE id = ? AND state = ?",  # noqa: S608
        [target.value, now, *columns.values(), order_id, source.value],
    )


def history(  # noqa: PLR0917 - a row of the history table
    db: sqlite_utils.Database,
    order_id: int,
    now: float,
    actor: str,
    role: Role,
    action: str,
    source: str | None,
    target: str,
    department: str | None,
    note: str,
) -> None:
    """Append one history row (the table refuses updates and deletes)."""
    db.execute(
        "INSERT INTO history (order_id, at, actor, role, action, from_state, to_state, department, note)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        [order_id, now, actor, role.value, str(action), source, str(target), department, note],
    )


def order_pushes(db: sqlite_utils.Database, order: dict[str, Any], now: float) -> list[Push]:
    """Queue the order's status for every kiosk that filed on it (withdrawn filings excepted)."""
    out: list[Push] = []
    for f in db.query(
        "SELECT node, receipt FROM filings WHERE order_id = ? AND node IS NOT NULL AND withdrawn IS NULL",
        [order["id"]],
    ):
        out += _queue_push(db, f["node"], f["receipt"], order["state"], order["status_notes"], now)
    return out


def _queue_push(  # noqa: PLR0917 - the columns of one push
    db: sqlite_utils.Database, node: str | None, receipt: str, status: str, notes: str, now: float
) -> list[Push]:
    if node is None:
        return []
    db.execute(
        "INSERT INTO pushes (node, receipt, status, notes, updated, sent) VALUES (?,?,?,?,?,NULL)"
        " ON CONFLICT (node, receipt) DO UPDATE SET status = excluded.status, notes = excluded.notes,"
        " updated = excluded.updated, sent = NULL",
        [node, receipt, status, notes, now],
    )
    return [Push(node, receipt, status, notes, now)]


def mark_sent(db: sqlite_utils.Database, pushes: list[Push], now: float) -> None:
    """Record that these pushes went out (only if nothing newer was queued meanwhile)."""
    db.conn.executemany(
        "UPDATE pushes SET sent = ? WHERE node = ? AND receipt = ? AND updated = ?",
        [(now, p.node, p.receipt, p.updated) for p in pushes],
    )


def pending_pushes(db: sqlite_utils.Database, node: str, since: float) -> list[Push]:
    """What a kiosk should get after its BIRTH: never sent, or sent since ``since``."""
    return [
        Push(r["node"], r["receipt"], r["status"], r["notes"], r["updated"])
        for r in db.query(
            "SELECT * FROM pushes WHERE node = ? AND (sent IS NULL OR sent >= ?) ORDER BY updated",
            [node, since],
        )
    ]
