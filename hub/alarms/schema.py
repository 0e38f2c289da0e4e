"""The alarms database (``<data_dir>/alarms.sqlite``): one row per alarm, active or cleared."""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("alarms")

#: Column order of the alarms table (rows are written positionally).
COLUMNS = (
    "id", "source", "entity", "target", "node", "kind", "alarm", "resource", "severity", "text",
    "raised", "last", "count", "cleared", "acked_by", "acked",
)  # fmt: skip


@migrations(name="m001_alarms")
def _m001(db: sqlite_utils.Database) -> None:
    db.table("alarms").create(
        {
            "id": int,
            "source": str,
            "entity": str,
            "target": str,
            "node": str,
            "kind": str,
            "alarm": str,
            "resource": str,
            "severity": str,
            "text": str,
            "raised": float,
            "last": float,
            "count": int,
            "cleared": float,
            "acked_by": str,
            "acked": float,
        },
        pk="id",
        not_null={"source", "entity", "target", "alarm", "resource", "severity", "raised", "last", "count"},
    )
    db.table("alarms").create_index(["cleared"])
    db.table("alarms").create_index(["target", "raised"])
    db.table("alarms").create_index(["raised"])
