"""The kiosk's one SQLite file: outbox, receipts, events, content layers, audit, meta.

Why one file: a village kiosk has one disk and one writer (the GUI thread); one
WAL database keeps the fsync story simple. ``synchronous=FULL`` makes every
commit durable before we tell the villager "received", so kill -9 or a power
cut after that point loses nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY,            -- Request.id, reused on every replay
    kind TEXT NOT NULL,             -- appeal / rating / vote / help_call
    body BLOB NOT NULL,             -- the encoded request body (JSON)
    created_ms INTEGER NOT NULL,
    assisted_by TEXT,
    live INTEGER NOT NULL,          -- 1 when created while the hub was reachable
    state TEXT NOT NULL DEFAULT 'pending',  -- pending | rejected
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_ms INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS receipts (
    code TEXT PRIMARY KEY,          -- the code shown to the villager
    request_id TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    hub_receipt TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    status_notes TEXT NOT NULL DEFAULT '',
    updated_ms INTEGER NOT NULL,
    hub_updated_ms INTEGER NOT NULL DEFAULT 0  -- the hub's "updated" of the status we hold
);
CREATE TABLE IF NOT EXISTS events (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    event TEXT NOT NULL,
    attrs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS content_layers (
    kind TEXT NOT NULL,             -- contract ContentKind
    scope TEXT NOT NULL,            -- all | county | township | village
    code TEXT NOT NULL,             -- area code ('' for all)
    version TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,         -- Content.ts, orders retained copies
    body TEXT NOT NULL,             -- the validated body (JSON)
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, scope, code)
);
CREATE TABLE IF NOT EXISTS audit (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    staff TEXT NOT NULL,
    action TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Usage events are not villager submissions, so they may be bounded (oldest dropped).
MAX_EVENTS = 5000


def now_ms() -> int:
    """Wall-clock UTC milliseconds (the hub corrects kiosks without NTP)."""
    return int(time.time() * 1000)


class Store:
    """Owner of the SQLite connection. Use from one thread only (the GUI thread)."""

    def __init__(self, path: Path, clock: Callable[[], int] = now_ms) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        # isolation_level=None: we issue BEGIN/COMMIT ourselves so each write is one transaction.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def _migrate(self) -> None:
        """Bring an older file up to SCHEMA_VERSION; the outbox and receipts are always kept."""
        found = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        self.db.executescript(_SCHEMA)
        if 0 < found < 2:
            # v1 cached one copy per kind from a provisional topic; content is re-sent retained.
            self.db.execute("DROP TABLE IF EXISTS content")
            columns = {r[1] for r in self.db.execute("PRAGMA table_info(receipts)")}
            if "hub_updated_ms" not in columns:
                self.db.execute("ALTER TABLE receipts ADD COLUMN hub_updated_ms INTEGER NOT NULL DEFAULT 0")
        self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection (a checkpoint folds the WAL back in)."""
        self.db.close()

    def write(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """Run one statement in its own durable transaction; returns rows changed."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cur = self.db.execute(sql, params)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return cur.rowcount

    def write_many(self, sql: str, rows: list[tuple[object, ...]]) -> int:
        """Run one statement for each of ``rows``, all in one durable transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cur = self.db.executemany(sql, rows)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return cur.rowcount

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Read rows."""
        return self.db.execute(sql, params).fetchall()

    def meta_get(self, key: str, default: str = "") -> str:
        """A small persistent value."""
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else default

    def meta_set(self, key: str, value: str) -> None:
        """Set a small persistent value."""
        self.write("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def audit(self, staff: str, action: str, ref: str = "") -> None:
        """Audit log of assisted (代办) actions: who, what kind, which request id; never content."""
        self.write(
            "INSERT INTO audit(ts_ms, staff, action, ref) VALUES (?, ?, ?, ?)",
            (self.clock(), staff, action, ref),
        )

    def add_event(self, event: str, attrs_json: str) -> None:
        """Queue a usage event; beyond MAX_EVENTS the oldest go (they are statistics only)."""
        self.write(
            "INSERT INTO events(ts_ms, event, attrs) VALUES (?, ?, ?)", (self.clock(), event, attrs_json)
        )
        self.write(
            "DELETE FROM events WHERE rowid <= (SELECT MAX(rowid) FROM events) - ?",
            (MAX_EVENTS,),
        )
