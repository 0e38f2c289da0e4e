"""The coverage database (``<data_dir>/coverage.sqlite``): seconds measured and seconds up, per day.

``known_s`` is time the verdict was measured (not unknown), ``up_s`` the part of it with
service up; availability over any span is sum(up_s) / sum(known_s). County rows weigh
each second by the share of its townships or villages that were up.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("coverage")


@migrations(name="m001_coverage_daily")
def _m001(db: sqlite_utils.Database) -> None:
    db.table("coverage_daily").create(
        {"level": str, "code": str, "measure": str, "day": str, "known_s": float, "up_s": float},
        pk=("level", "code", "measure", "day"),
        not_null={"level", "code", "measure", "day", "known_s", "up_s"},
    )
    db.table("coverage_daily").create_index(["day"])
