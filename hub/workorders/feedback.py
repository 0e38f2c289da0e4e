"""Villagers' voice beyond appeals: 好差评 ratings, follow-up tasks, survey votes, undo.

Help calls live in hub/helpcalls/ (who is on duty, notices, escalation).

Like orders.py, every function runs inside the caller's write transaction and raises
:class:`Reject` (changing nothing) for input that does not fit.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from contract import payloads as p
from hub.helpcalls import desk as helpcalls
from hub.workorders.flow import COMPLETED, OPEN, Action, Role, State
from hub.workorders.orders import Ctx, Push, Reject, act, find_order, history, order_pushes
from hub.workorders.places import Place


def rate(  # noqa: PLR0917 - the fields of one rating
    db: sqlite_utils.Database,
    ctx: Ctx,
    body: p.Rating,
    place: Place,
    node: str | None,
    client_id: str | None,
    assisted_by: str | None,
    ts: int,
    now: float,
    *,
    service_ok: bool,
) -> tuple[int, list[Push]]:
    """Store a rating; a bad one opens a follow-up task, a good one on a resolved order closes it."""
    order: dict[str, Any] | None = None
    if body.target_kind == "work_order":
        order = find_order(db, body.target_id.strip().upper())
        if order is None:
            raise Reject("unknown_receipt", f"没有回执码为 {body.target_id} 的工单，无法评价")
        if State(order["state"]) not in COMPLETED:
            raise Reject("not_completed", "工单还没有办结，办结后才能评价")
        if list(
            db.query(
                "SELECT 1 FROM ratings WHERE target_kind = 'work_order' AND target_id = ?"
                " AND withdrawn IS NULL",
                [body.target_id.strip().upper()],
            )
        ):
            raise Reject("already_rated", "这张工单已经评价过了")
    elif not service_ok:
        raise Reject("unknown_service", f"不认识被评价的服务 {body.target_id!r}")
    cursor = db.execute(
        "INSERT INTO ratings (node, client_id, target_kind, target_id, order_id, score, comment,"
        " village, township, county, assisted_by, ts, received) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            node,
            client_id,
            body.target_kind,
            body.target_id.strip().upper() if order is not None else body.target_id,
            None if order is None else order["id"],
            body.score,
            body.comment,
            place.village or (order["village"] if order else None),
            place.township or (order["township"] if order else None),
            place.county or (order["county"] if order else None),
            assisted_by,
            ts,
            now,
        ],
    )
    rating_id = int(cursor.lastrowid or 0)
    bad = body.score <= ctx.rules.followup.bad_score
    pushes: list[Push] = []
    if order is not None:
        history(
            db,
            order["id"],
            now,
            f"kiosk:{node}" if node else "villager",
            Role.VILLAGER,
            "rate",
            order["state"],
            order["state"],
            None,
            f"评价 {body.score} 分" + (f"：{body.comment}" if body.comment else ""),
        )
        if State(order["state"]) is State.RESOLVED:
            order, pushes = act(
                db, ctx, order["receipt"], Action.CALLBACK, Role.SYSTEM, "system", now, note="村民已评价"
            )
        if not bad and State(order["state"]) is State.CALLBACK:
            order, pushes = act(
                db, ctx, order["receipt"], Action.CLOSE, Role.SYSTEM, "system", now, note="村民评价满意"
            )
    if bad:
        department = (
            order["department"]
            if order is not None
            else ctx.rules.followup.service_department or ctx.rules.default_queue
        )
        db.execute(
            "INSERT INTO tasks (kind, order_id, rating_id, department, village, created, deadline, state)"
            " VALUES ('bad_rating', ?, ?, ?, ?, ?, ?, 'open')",
            [
                None if order is None else order["id"],
                rating_id,
                department,
                place.village or (order["village"] if order else None),
                now,
                ctx.calendar.deadline(now, ctx.rules.followup.days),
            ],
        )
        if order is not None:
            history(
                db,
                order["id"],
                now,
                "system",
                Role.SYSTEM,
                "followup",
                order["state"],
                order["state"],
                department,
                f"差评回访任务，{ctx.rules.followup.days}个工作日内整改",
            )
    return rating_id, pushes


def finish_task(  # noqa: PLR0917 - the fields of one row
    db: sqlite_utils.Database, task_id: int, actor: str, note: str, now: float, department: str | None
) -> None:
    """Close a follow-up task with what was done; only its own department (or a dispatcher) may."""
    rows = list(db.query("SELECT * FROM tasks WHERE id = ?", [task_id]))
    if not rows or rows[0]["state"] != "open":
        raise Reject("unknown_task", "没有这个待办的回访任务")
    if department is not None and rows[0]["department"] != department:
        raise Reject("not_yours", "这个回访任务不在你的部门")
    if not note.strip():
        raise Reject("note_required", "请写明整改或回访情况")
    db.execute(
        "UPDATE tasks SET state = 'done', done = ?, actor = ?, note = ? WHERE id = ?",
        [now, actor, note.strip(), task_id],
    )
    if rows[0]["order_id"] is not None:
        state = next(iter(db.query("SELECT state FROM orders WHERE id = ?", [rows[0]["order_id"]])))["state"]
        history(
            db,
            rows[0]["order_id"],
            now,
            actor,
            Role.HANDLER,
            "followup_done",
            state,
            state,
            None,
            note.strip(),
        )


def vote(  # noqa: PLR0917 - the fields of one vote
    db: sqlite_utils.Database,
    body: p.Vote,
    place: Place,
    node: str | None,
    client_id: str | None,
    assisted_by: str | None,
    ts: int,
    now: float,
) -> int:
    """Store one answer; one per person per item when the kiosk gives a voter_ref."""
    rows = list(db.query("SELECT * FROM items WHERE id = ?", [body.item_id]))
    if not rows:
        raise Reject("unknown_item", f"没有编号为 {body.item_id} 的征集或协商事项")
    item = rows[0]
    if item["state"] != "open":
        raise Reject("item_closed", f"“{item['title']}”已经结束，不能再投票")
    if not place.within(item["scope"], item["code"]):
        raise Reject("out_of_scope", f"“{item['title']}”不是本村的事项")
    if body.choice not in {c["id"] for c in json.loads(item["choices"])}:
        raise Reject("bad_choice", f"“{item['title']}”没有选项 {body.choice!r}")
    if body.voter_ref is not None and list(
        db.query(
            "SELECT 1 FROM votes WHERE item_id = ? AND voter_ref = ? AND withdrawn IS NULL",
            [body.item_id, body.voter_ref],
        )
    ):
        raise Reject("already_voted", "这一项您已经投过票了，每人只能投一次")
    cursor = db.execute(
        "INSERT INTO votes (item_id, choice, voter_ref, node, client_id, village, township, county,"
        " assisted_by, ts, received) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            body.item_id,
            body.choice,
            body.voter_ref,
            node,
            client_id,
            place.village,
            place.township,
            place.county,
            assisted_by,
            ts,
            now,
        ],
    )
    return int(cursor.lastrowid or 0)


def withdraw(  # noqa: PLR0917 - the fields of one row
    db: sqlite_utils.Database, ctx: Ctx, node: str, body: p.Withdraw, ts: int, now: float
) -> tuple[str, list[Push]]:
    """Undo one earlier request of this node within the undo window; returns a detail line."""
    rows = list(db.query("SELECT * FROM requests WHERE node = ? AND client_id = ?", [node, body.target_id]))
    if not rows or rows[0]["status"] != "stored":
        raise Reject("unknown_request", f"本机没有编号为 {body.target_id} 的提交，无法撤回")
    original = rows[0]
    if original["withdrawn"] is not None:
        raise Reject("already_withdrawn", "这份提交已经撤回了")
    if ts - original["ts"] > ctx.rules.undo_seconds * 1000:
        raise Reject("undo_expired", f"提交超过{ctx.rules.undo_seconds // 60}分钟，不能撤回了，请找村干部")
    pushes: list[Push] = []
    kind, ref = original["kind"], original["ref"]
    if kind == "appeal":
        pushes = _withdraw_filing(db, ctx, ref, node, body.reason, now)
    elif kind == "rating":
        db.execute("UPDATE ratings SET withdrawn = ? WHERE id = ?", [now, ref])
        db.execute(
            "UPDATE tasks SET state = 'cancelled', done = ? WHERE rating_id = ? AND state = 'open'",
            [now, ref],
        )
    elif kind == "vote":
        db.execute("UPDATE votes SET withdrawn = ? WHERE id = ?", [now, ref])
    elif kind == "help_call":
        helpcalls.withdraw(db, ref, node, now)
    db.execute(
        "UPDATE requests SET withdrawn = ? WHERE node = ? AND client_id = ?", [now, node, body.target_id]
    )
    return f"已撤回 {kind} {body.target_id}", pushes


def _withdraw_filing(  # noqa: PLR0917 - the fields of one row
    db: sqlite_utils.Database, ctx: Ctx, filing_id: int, node: str, reason: str, now: float
) -> list[Push]:
    filing = next(iter(db.query("SELECT * FROM filings WHERE id = ?", [filing_id])))
    order = next(iter(db.query("SELECT * FROM orders WHERE id = ?", [filing["order_id"]])))
    others = list(
        db.query(
            "SELECT 1 FROM filings WHERE order_id = ? AND id != ? AND withdrawn IS NULL",
            [order["id"], filing_id],
        )
    )
    if State(order["state"]) not in OPEN and not others:
        raise Reject("not_open", "工单已经办结，不能撤回了")
    db.execute("UPDATE filings SET withdrawn = ? WHERE id = ?", [now, filing_id])
    note = f"{filing['receipt']} 撤回" + (f"：{reason}" if reason else "")
    if others:
        # Others still want this fixed: the order goes on without this villager.
        if not filing["is_primary"]:
            db.execute("UPDATE orders SET seconds = seconds - 1 WHERE id = ?", [order["id"]])
        history(
            db,
            order["id"],
            now,
            f"kiosk:{node}",
            Role.VILLAGER,
            "withdraw_filing",
            order["state"],
            order["state"],
            None,
            note,
        )
        db.execute(
            "INSERT INTO pushes (node, receipt, status, notes, updated) VALUES (?,?,?,?,?)"
            " ON CONFLICT (node, receipt) DO UPDATE SET status = excluded.status, notes = excluded.notes,"
            " updated = excluded.updated, sent = NULL",
            [node, filing["receipt"], State.WITHDRAWN.value, "", now],
        )
        return [Push(node, filing["receipt"], State.WITHDRAWN.value, "", now)]
    fresh, _ = act(db, ctx, order["receipt"], Action.WITHDRAW, Role.VILLAGER, f"kiosk:{node}", now, note=note)
    # The withdrawn filing itself still gets its final status.
    db.execute(
        "INSERT INTO pushes (node, receipt, status, notes, updated) VALUES (?,?,?,?,?)"
        " ON CONFLICT (node, receipt) DO UPDATE SET status = excluded.status,"
        " updated = excluded.updated, sent = NULL",
        [node, filing["receipt"], fresh["state"], fresh["status_notes"], now],
    )
    return [
        Push(node, filing["receipt"], fresh["state"], fresh["status_notes"], now),
        *order_pushes(db, fresh, now),
    ]
