"""The alarm book: active alarms in memory, every alarm in SQLite, raise/clear with dedupe.

An alarm is identified by (entity, target, alarm, resource): the same fault raised again
while active only bumps its count and last-seen time, so a flapping trap or a DATA every
15 s makes one alarm, not thousands. Raising after a clear opens a new alarm, so the
history shows each episode. Writes are batched like the inventory's (dirty ids, one
transaction a second) so that ingest never waits for the disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import astuple, dataclass
from typing import Any

import sqlite_utils

from hub.clock import Clock
from hub.metrics.dbtimer import DbTimer
from hub.store import StoreError

log = logging.getLogger(__name__)

SEVERITIES: tuple[str, ...] = ("critical", "major", "minor", "warning")
#: Cleared alarms older than this are deleted (hourly).
HISTORY_RETENTION_S = 180 * 86400

AlarmKey = tuple[str, str, str, str]


@dataclass(slots=True)
class Alarm:
    """One alarm episode. Field order is the table's column order (alarms.schema.COLUMNS)."""

    id: int
    source: str
    """``agent`` (an ALARM message) or ``hub`` (derived from state)."""
    entity: str
    """``device`` or ``node``."""
    target: str
    node: str
    kind: str
    alarm: str
    resource: str
    severity: str
    text: str
    raised: float
    last: float
    count: int = 1
    cleared: float | None = None
    acked_by: str | None = None
    acked: float | None = None

    @property
    def key(self) -> AlarmKey:
        """What makes two raises the same alarm."""
        return (self.entity, self.target, self.alarm, self.resource)


class AlarmEngine:
    """Raises and clears alarms on the event loop; a background task persists them."""

    def __init__(self, db: DbTimer, clock: Clock, *, flush_interval: float = 1.0) -> None:
        self._db = db
        self._clock = clock
        self._flush_interval = flush_interval
        self._active: dict[AlarmKey, Alarm] = {}
        self._by_target: dict[str, dict[AlarmKey, Alarm]] = {}
        self._dirty: dict[int, Alarm] = {}
        self._next_id = 1
        self._last_prune = 0.0
        self.raised_total: Counter[tuple[str, str]] = Counter()
        """Alarms opened, by (source, severity)."""
        self.cleared_total: Counter[tuple[str, str]] = Counter()

    # -- raising and clearing (event loop) --------------------------------------------------

    def raise_(
        self,
        *,
        source: str,
        entity: str,
        target: str,
        node: str,
        kind: str,
        alarm: str,
        severity: str,
        resource: str = "",
        text: str = "",
        at: float | None = None,
    ) -> Alarm:
        """Open an alarm, or count a repeat of the active one."""
        now = self._clock() if at is None else at
        key = (entity, target, alarm, resource)
        found = self._active.get(key)
        if found is not None:
            found.count += 1
            found.last = now
            if text:
                found.text = text
            self._dirty[found.id] = found
            return found
        item = Alarm(
            self._next_id, source, entity, target, node, kind, alarm, resource, severity, text, now, now
        )
        self._next_id += 1
        self._active[key] = item
        self._by_target.setdefault(target, {})[key] = item
        self._dirty[item.id] = item
        self.raised_total[(source, severity)] += 1
        return item

    def clear(
        self,
        entity: str,
        target: str,
        alarm: str,
        resource: str = "",
        *,
        text: str = "",
        at: float | None = None,
    ) -> Alarm | None:
        """Clear the active alarm with this key, if there is one."""
        item = self._active.pop((entity, target, alarm, resource), None)
        if item is None:
            return None
        self._close(item, text, self._clock() if at is None else at)
        return item

    def clear_target(self, target: str, *, keep: frozenset[str] = frozenset(), text: str = "") -> int:
        """Clear every active alarm of ``target`` except those named in ``keep``; returns how many."""
        alarms = [a for a in self._by_target.get(target, {}).values() if a.alarm not in keep]
        now = self._clock()
        for item in alarms:
            del self._active[item.key]
            self._close(item, text, now)
        return len(alarms)

    def acknowledge(self, alarm_id: int, who: str) -> Alarm | None:
        """Mark an active alarm as seen by ``who``; None when no active alarm has that id."""
        item = self.find_active(alarm_id)
        if item is not None:
            item.acked_by, item.acked = who, self._clock()
            self._dirty[item.id] = item
        return item

    def _close(self, item: Alarm, text: str, now: float) -> None:
        item.cleared = now
        if text:
            item.text = text
        targets = self._by_target.get(item.target)
        if targets is not None:
            targets.pop(item.key, None)
            if not targets:
                del self._by_target[item.target]
        self._dirty[item.id] = item
        self.cleared_total[(item.source, item.severity)] += 1

    # -- reading (event loop) ---------------------------------------------------------------

    def active(self) -> list[Alarm]:
        """Active alarms, oldest first."""
        return sorted(self._active.values(), key=lambda a: a.id)

    def active_names(self, target: str) -> frozenset[str]:
        """Names of the active alarms of one device or node (coverage reads this)."""
        found = self._by_target.get(target)
        return frozenset(a.alarm for a in found.values()) if found else frozenset()

    def active_for(self, target: str) -> list[Alarm]:
        """Active alarms of one device or node."""
        return list(self._by_target.get(target, {}).values())

    def find_active(self, alarm_id: int) -> Alarm | None:
        """The active alarm with this id."""
        return next((a for a in self._active.values() if a.id == alarm_id), None)

    # -- persistence ------------------------------------------------------------------------

    async def restore(self) -> int:
        """Load active alarms and the id counter; returns how many alarms are active."""
        rows, top = await self._db.read(_load_active)
        for row in rows:
            item = Alarm(*row)
            self._active[item.key] = item
            self._by_target.setdefault(item.target, {})[item.key] = item
        self._next_id = top + 1
        return len(rows)

    async def run(self) -> None:
        """Flush forever; cancelled at shutdown (then :meth:`flush` runs once more)."""
        while True:
            await asyncio.sleep(self._flush_interval)
            try:
                await self.flush()
            except StoreError as exc:
                log.error("alarms: %s; retrying", exc)  # noqa: TRY400 - the store error says it all

    async def flush(self) -> None:
        """Write every alarm that changed since the last flush."""
        now = self._clock()
        prune = now - self._last_prune >= 3600
        if not self._dirty and not prune:
            return
        dirty, self._dirty = self._dirty, {}
        rows = [astuple(a) for a in dirty.values()]
        try:
            await self._db.write(lambda db: _write(db, rows, now - HISTORY_RETENTION_S if prune else None))
        except StoreError:
            self._dirty = {**dirty, **self._dirty}
            raise
        if prune:
            self._last_prune = now


def _load_active(db: sqlite_utils.Database) -> tuple[list[Any], int]:
    rows = list(db.conn.execute("SELECT * FROM alarms WHERE cleared IS NULL ORDER BY id"))
    top = db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM alarms").fetchone()[0]
    return rows, int(top)


def _write(db: sqlite_utils.Database, rows: list[tuple[object, ...]], prune_before: float | None) -> None:
    db.conn.executemany(f"INSERT OR REPLACE INTO alarms VALUES ({','.join('?' * 16)})", rows)  # noqa: S608
    if prune_before is not None:
        db.conn.execute("DELETE FROM alarms WHERE cleared IS NOT NULL AND cleared < ?", (prune_before,))
