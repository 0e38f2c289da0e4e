"""Reads of the inventory database for the API (history the in-memory state does not keep)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils

TRANSITION_COLUMNS = ("ts", "entity", "id", "kind", "node", "state", "previous", "reason")


def transitions(
    entity: str | None, ident: str | None, since: float | None, limit: int
) -> Callable[[sqlite_utils.Database], list[dict[str, Any]]]:
    """Newest transitions first, optionally of one entity kind and id, after ``since``."""

    def read(db: sqlite_utils.Database) -> list[dict[str, Any]]:
        where: list[str] = []
        args: list[str | float] = []
        if entity is not None:
            where.append("entity = ?")
            args.append(entity)
        if ident is not None:
            where.append("id = ?")
            args.append(ident)
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        sql = f"SELECT {', '.join(TRANSITION_COLUMNS)} FROM transitions"  # noqa: S608 - fixed column names
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        rows = db.conn.execute(sql, (*args, limit)).fetchall()
        return [dict(zip(TRANSITION_COLUMNS, row, strict=True)) for row in rows]

    return read


def versions(kind: str, node: str) -> Callable[[sqlite_utils.Database], list[dict[str, Any]]]:
    """Software versions a node has run, newest first."""

    def read(db: sqlite_utils.Database) -> list[dict[str, Any]]:
        rows = db.conn.execute(
            "SELECT version, first_seen, last_seen FROM versions "
            "WHERE kind = ? AND node = ? ORDER BY first_seen DESC",
            (kind, node),
        ).fetchall()
        return [{"version": v, "first_seen": f, "last_seen": s} for v, f, s in rows]

    return read
