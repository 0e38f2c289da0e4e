"""Tables of the rollouts database (``<data_dir>/rollouts.sqlite``).

One migration per change, never edited once released. The audit table is append-only by
construction: triggers make SQLite itself refuse UPDATE and DELETE on it, so no code path
(nor a careless future one) can rewrite history.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("rollouts")


@migrations(name="m001_rollouts")
def _m001(db: sqlite_utils.Database) -> None:
    db.table("rollouts").create(
        {
            "id": str,
            "version": str,
            "spec": str,
            "state": str,
            "reason": str,
            "wave": int,
            "wave_settled": float,
            "created": float,
            "created_by": str,
            "updated": float,
        },
        pk="id",
        not_null={"id", "version", "spec", "state", "wave", "created", "updated"},
    )
    db.table("devices").create(
        {
            "rollout": str,
            "host": str,
            "wave": int,
            "status": str,
            "detail": str,
            "updated": float,
        },
        pk=("rollout", "host"),
        not_null={"rollout", "host", "wave", "status", "updated"},
        foreign_keys=[("rollout", "rollouts", "id")],
    )
    db.table("audit").create(
        {
            "seq": int,
            "ts": float,
            "rollout": str,
            "actor": str,
            "action": str,
            "host": str,
            "detail": str,
        },
        pk="seq",
        not_null={"ts", "rollout", "actor", "action"},
    )
    db.execute("CREATE INDEX audit_rollout ON audit (rollout, seq)")
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
