"""The agent's SQLite file: the outbox and the per-device state that must survive a restart.

One connection, used only from the event loop thread. That is the whole
"single writer" (Datasette's rule, style.md convention 9): every statement is
short (an insert or a delete by primary key is 10-50 us on the test machine),
so running them inline costs less than handing them to a thread would, and
there is no second writer to wait for.

Durability: WAL with ``synchronous=NORMAL`` survives a crash of the agent
process (committed data is in the OS); a power cut may lose the last moments
before the previous WAL checkpoint. ``synchronous: full`` in the config trades
throughput for that too.

Schema changes are numbered functions applied in order, recorded in
``PRAGMA user_version``; a file from a newer agent is refused.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

#: Bytes a row costs besides its payload and topic (row header, index entry), for accounting.
ROW_OVERHEAD = 48


def _v1(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,"
        " priority INTEGER NOT NULL, ts INTEGER NOT NULL, payload BLOB NOT NULL)"
    )
    # Trimming deletes the oldest rows of the lowest priority first.
    db.execute("CREATE INDEX outbox_priority ON outbox (priority, id)")
    db.execute("CREATE TABLE device_state (device TEXT PRIMARY KEY, state BLOB NOT NULL)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1]

Row = tuple[int, str, int, int, bytes]
"""(id, topic, priority, ts, payload)"""


class StoreError(Exception):
    """The state file cannot be used."""


class Store:
    """The outbox table and the device state table in one SQLite file."""

    def __init__(self, path: Path | str, *, synchronous: str = "NORMAL") -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if synchronous.upper() == 'FULL' else 'NORMAL'}")
        self._migrate()
        count, total, last = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload) + LENGTH(topic)), 0), COALESCE(MAX(id), 0)"
            " FROM outbox"
        ).fetchone()
        self.rows: int = count
        self.bytes: int = total + count * ROW_OVERHEAD
        self.last_id: int = last

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            msg = f"{self.path} was written by a newer agent (schema {version} > {len(MIGRATIONS)})"
            raise StoreError(msg)
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                step(self.db)
                self.db.execute(f"PRAGMA user_version={number}")
            log.info("state file %s: schema %d applied", self.path, number)

    # Outbox rows.

    def append(self, topic: str, priority: int, ts: int, payload: bytes) -> int:
        """Store one message; returns its id (ids grow with insertion order)."""
        cur = self.db.execute(
            "INSERT INTO outbox (topic, priority, ts, payload) VALUES (?, ?, ?, ?)",
            (topic, priority, ts, payload),
        )
        row_id = cur.lastrowid
        assert row_id is not None  # an INSERT always sets it
        self.rows += 1
        self.bytes += len(payload) + len(topic) + ROW_OVERHEAD
        self.last_id = row_id
        return row_id

    def delete(self, ids: Iterable[int]) -> int:
        """Delete rows by id (acknowledged ones); returns how many existed."""
        removed = 0
        with self.db:
            self.db.execute("BEGIN")
            for row_id in ids:
                got = self.db.execute(
                    "DELETE FROM outbox WHERE id = ? RETURNING LENGTH(payload) + LENGTH(topic)", (row_id,)
                ).fetchone()
                if got is not None:
                    removed += 1
                    self.bytes -= got[0] + ROW_OVERHEAD
        self.rows -= removed
        return removed

    def read(self, after: int, below: int, limit: int) -> list[Row]:
        """Rows with ``after < id < below`` in id order."""
        cur = self.db.execute(
            "SELECT id, topic, priority, ts, payload FROM outbox WHERE id > ? AND id < ? ORDER BY id LIMIT ?",
            (after, below, limit),
        )
        return list(cur.fetchall())

    def oldest(self, *, priority: int | None = None) -> tuple[int, int] | None:
        """(id, ts) of the oldest row (of one priority), or None."""
        if priority is None:
            got = self.db.execute("SELECT id, ts FROM outbox ORDER BY id LIMIT 1").fetchone()
        else:
            got = self.db.execute(
                "SELECT id, ts FROM outbox WHERE priority = ? ORDER BY id LIMIT 1", (priority,)
            ).fetchone()
        return None if got is None else (int(got[0]), int(got[1]))

    def drop_oldest(
        self, priority: int, *, count: int | None = None, before_ts: int | None = None
    ) -> list[int]:
        """Delete the oldest rows of ``priority``: ``count`` of them, or those older than ``before_ts``."""
        if count is not None:
            where, args = "priority = ? ORDER BY id LIMIT ?", (priority, count)
            sql = f"SELECT id FROM outbox WHERE {where}"  # noqa: S608 - fixed text, bound values
        else:
            sql = "SELECT id FROM outbox WHERE priority = ? AND ts < ?"
            args = (priority, before_ts if before_ts is not None else 0)
        ids = [row[0] for row in self.db.execute(sql, args).fetchall()]
        self.delete(ids)
        return ids

    # Device state.

    def save_state(self, device: str, state: bytes) -> None:
        """Replace one device's saved state."""
        self.db.execute(
            "INSERT INTO device_state (device, state) VALUES (?, ?)"
            " ON CONFLICT (device) DO UPDATE SET state = excluded.state",
            (device, state),
        )

    def load_states(self) -> dict[str, bytes]:
        """Every device's saved state."""
        return {str(d): bytes(s) for d, s in self.db.execute("SELECT device, state FROM device_state")}

    def close(self) -> None:
        """Checkpoint and close."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.close()
