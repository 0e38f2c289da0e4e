"""Reading work orders: one order with its filings and history, queues, follow-up tasks.

Plain functions over a read connection (``Store.read``), shared by the console, the JSON
API, Open311 and the export so that they all show the same facts. "Overdue" is computed
at read time from the deadline and the state, never stored, so it cannot go stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from hub.workorders import media
from hub.workorders.flow import OPEN

_OPEN = tuple(sorted(s.value for s in OPEN))
_OPEN_SQL = ",".join("?" * len(_OPEN))
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Filter:
    """What to list; every field narrows, None means any."""

    department: str | None = None
    state: str | None = None
    category: str | None = None
    village: str | None = None
    county: str | None = None
    open_only: bool = False
    overdue: bool = False
    since: float | None = None
    until: float | None = None
    receipts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    closed_only: bool = False
    limit: int = 100
    offset: int = 0


def is_overdue(order: dict[str, Any], now: float) -> bool:
    """Past its deadline while still open."""
    return order["state"] in _OPEN and now > order["deadline"]


def list_orders(db: sqlite_utils.Database, f: Filter, now: float) -> list[dict[str, Any]]:
    """Orders matching ``f``, newest first."""
    where: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("department", f.department),
        ("state", f.state),
        ("category", f.category),
        ("village", f.village),
        ("county", f.county),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if f.open_only or f.overdue:
        where.append(f"state IN ({_OPEN_SQL})")
        args += _OPEN
    if f.closed_only:
        where.append(f"state NOT IN ({_OPEN_SQL})")
        args += _OPEN
    if f.overdue:
        where.append("deadline < ?")
        args.append(now)
    if f.since is not None:
        where.append("created >= ?")
        args.append(f.since)
    if f.until is not None:
        where.append("created <= ?")
        args.append(f.until)
    if f.receipts:
        where.append(
            f"id IN (SELECT order_id FROM filings WHERE receipt IN ({','.join('?' * len(f.receipts))}))"  # noqa: S608 - fixed fragments and placeholders only
        )
        args += f.receipts
    if f.states:
        where.append(f"state IN ({','.join('?' * len(f.states))})")
        args += f.states
    if f.categories:
        where.append(f"category IN ({','.join('?' * len(f.categories))})")
        args += f.categories
    sql = "SELECT * FROM orders"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY created DESC, id DESC LIMIT ? OFFSET ?"
    args += [min(max(f.limit, 1), MAX_LIMIT), max(f.offset, 0)]
    return list(db.query(sql, args))


def order_detail(db: sqlite_utils.Database, code: str) -> dict[str, Any] | None:
    """An order with its filings, history, ratings and follow-up tasks."""
    rows = list(
        db.query("SELECT o.* FROM filings f JOIN orders o ON o.id = f.order_id WHERE f.receipt = ?", [code])
    )
    if not rows:
        return None
    order = dict(rows[0])
    oid = order["id"]
    order["filings"] = list(db.query("SELECT * FROM filings WHERE order_id = ? ORDER BY id", [oid]))
    order["history"] = list(db.query("SELECT * FROM history WHERE order_id = ? ORDER BY id", [oid]))
    order["ratings"] = list(
        db.query("SELECT * FROM ratings WHERE order_id = ? AND withdrawn IS NULL ORDER BY id", [oid])
    )
    order["tasks"] = list(db.query("SELECT * FROM tasks WHERE order_id = ? ORDER BY id", [oid]))
    order["media"] = media.for_order(db, order)
    return order


def list_tasks(
    db: sqlite_utils.Database, department: str | None, open_only: bool = True
) -> list[dict[str, Any]]:
    """Follow-up tasks, soonest deadline first, with the receipt and rating they came from."""
    where = ["1 = 1"]
    args: list[Any] = []
    if department is not None:
        where.append("t.department = ?")
        args.append(department)
    if open_only:
        where.append("t.state = 'open'")
    return list(
        db.query(
            "SELECT t.*, o.receipt AS receipt, r.score AS score, r.comment AS comment,"  # noqa: S608 - fixed fragments and placeholders only
            " r.target_kind AS target_kind, r.target_id AS target_id"
            " FROM tasks t LEFT JOIN orders o ON o.id = t.order_id LEFT JOIN ratings r ON r.id = t.rating_id"
            f" WHERE {' AND '.join(where)} ORDER BY t.deadline",
            args,
        )
    )


def queue_counts(db: sqlite_utils.Database, department: str | None, now: float) -> dict[str, int]:
    """Open and overdue counts for a queue's header."""
    args: list[Any] = [*_OPEN]
    sql = f"SELECT COUNT(*) AS n, SUM(deadline < ?) AS late FROM orders WHERE state IN ({_OPEN_SQL})"  # noqa: S608 - fixed fragments and placeholders only
    args.insert(0, now)
    if department is not None:
        sql += " AND department = ?"
        args.append(department)
    row = next(iter(db.query(sql, args)))
    return {"open": int(row["n"] or 0), "overdue": int(row["late"] or 0)}


def by_token(db: sqlite_utils.Database, token: str) -> str | None:
    """The primary receipt an Open311 token stands for."""
    rows = list(
        db.query(
            "SELECT o.receipt FROM open311_tokens t JOIN orders o ON o.id = t.order_id WHERE t.token = ?",
            [token],
        )
    )
    return rows[0]["receipt"] if rows else None
