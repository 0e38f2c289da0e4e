"""A SQLite database owned by one writer thread, with readers on their own connections.

Why one writer: SQLite allows one writer at a time; funnelling every write
through one thread (Datasette's pattern) makes write order explicit, avoids
``database is locked`` retries and keeps blocking I/O off the event loop.
Every write runs in ``BEGIN IMMEDIATE ... COMMIT`` with ``synchronous=FULL``,
so a write that returned is on disk: the hub acknowledges a villager's appeal
only after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be opened, migrated or written."""


def _connect(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return sqlite_utils.Database(conn)


@contextlib.contextmanager
def _immediate(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    # BEGIN IMMEDIATE takes the write lock up front, so a transaction never
    # fails half-way on lock upgrade.
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


class Store:
    """One SQLite file: ``await write(fn)`` runs ``fn(db)`` in a transaction on the writer thread."""

    def __init__(self, path: Path, migrations: Migrations, *, readers: int = 2) -> None:
        self.path = path
        self._migrations = migrations
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"store-writer-{path.stem}")
        self._readers = ThreadPoolExecutor(
            max_workers=readers, thread_name_prefix=f"store-reader-{path.stem}"
        )
        self._local = threading.local()
        self._reader_dbs: list[sqlite_utils.Database] = []
        self._reader_lock = threading.Lock()
        self._write_db: sqlite_utils.Database | None = None
        self.last_write_seconds = 0.0
        self.writes_total = 0
        self.write_errors_total = 0

    # -- lifecycle -----------------------------------------------------------------

    async def open(self) -> list[str]:
        """Open (creating if needed), back up when migrations are pending, migrate. Returns applied names."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._open)

    def _open(self) -> list[str]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = _connect(self.path)
            pending = [m.name for m in self._migrations.pending(db)]
            if pending and self._has_tables(db):
                self._backup(db)
            self._migrations.apply(db)
        except (sqlite3.Error, OSError) as exc:
            msg = f"cannot open {self.path}: {exc}"
            raise StoreError(msg) from exc
        self._write_db = db
        if pending:
            log.info("store %s: applied migrations %s", self.path, ", ".join(pending))
        return pending

    @staticmethod
    def _has_tables(db: sqlite_utils.Database) -> bool:
        return bool(db.table_names())

    def _backup(self, db: sqlite_utils.Database) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.{stamp}.bak")
        dest = sqlite3.connect(target)
        try:
            db.conn.backup(dest)
        finally:
            dest.close()
        log.warning("store %s: backed up to %s before migrating", self.path, target)
        return target

    async def close(self) -> None:
        """Finish queued writes and close every connection."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self._close_writer)
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._reader_lock:
            for db in self._reader_dbs:
                db.conn.close()
            self._reader_dbs.clear()

    def _close_writer(self) -> None:
        if self._write_db is not None:
            self._write_db.conn.close()
            self._write_db = None

    # -- access --------------------------------------------------------------------

    async def write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run ``fn`` in one IMMEDIATE transaction on the writer thread; durable when this returns."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._write, fn)

    def _write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        if self._write_db is None:
            msg = f"store {self.path} is not open"
            raise StoreError(msg)
        started = time.perf_counter()
        try:
            with _immediate(self._write_db) as db:
                result = fn(db)
        except sqlite3.Error as exc:
            self.write_errors_total += 1
            msg = f"write to {self.path} failed: {exc}"
            raise StoreError(msg) from exc
        finally:
            self.last_write_seconds = time.perf_counter() - started
        self.writes_total += 1
        return result

    async def read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """Run ``fn`` on a reader thread's own connection (WAL: readers never block the writer)."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, self._read, fn)

    def _read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = _connect(self.path)
            db.conn.execute("PRAGMA query_only=ON")
            self._local.db = db
            with self._reader_lock:
                self._reader_dbs.append(db)
        try:
            return fn(db)
        except sqlite3.Error as exc:
            msg = f"read from {self.path} failed: {exc}"
            raise StoreError(msg) from exc
