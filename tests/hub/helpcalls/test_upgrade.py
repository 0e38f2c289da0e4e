"""Upgrading a workorders.db that holds help calls from before the duty roster existed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from hub.store import Store
from hub.workorders.schema import migrations


async def test_old_calls_are_closed_not_paged_and_the_trail_is_append_only(tmp_path: Path) -> None:
    path = tmp_path / "workorders.db"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m003_helpcalls")
    db.execute(
        "INSERT INTO helpcalls (node, village, reason, ts, received)"
        " VALUES ('kiosk-bz-0001', 'bz-t01-v01', '', 1, 1.0)"
    )
    db.conn.commit()
    db.close()
    store = Store(path, migrations)
    assert await store.open() == ["m003_helpcalls"]
    try:
        rows = await store.read(lambda db: list(db.query("SELECT state, closed_by FROM helpcalls")))
        assert rows == [{"state": "closed", "closed_by": "system:before-roster"}]
        assert await store.read(lambda db: list(db.query("SELECT * FROM helpcall_notices"))) == []

        def tamper(db: sqlite_utils.Database) -> None:
            db.execute(
                "INSERT INTO helpcall_events (call_id, at, actor, action) VALUES (1, 2.0, 'x', 'call')"
            )
            db.execute("UPDATE helpcall_events SET actor = 'y'")

        with pytest.raises(Exception, match="append-only"):
            await store.write(tamper)
    finally:
        await store.close()
