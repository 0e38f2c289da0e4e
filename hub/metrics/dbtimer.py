"""Timing of the hub's SQLite writes, for cl_hub_db_* (the "DB latency" of the hub's health).

The time measured is what a caller waits: queueing behind other writes on the store's
one writer thread plus the transaction with its fsync. That is what delays a flush of
the inventory or an alarm, so it is the number worth alerting on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import sqlite_utils
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from hub.store import Store, StoreError

T = TypeVar("T")


class DbTimer:
    """Wraps one store's writes and reads and counts them; read from the render thread."""

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store
        self.writes = 0
        self.errors = 0
        self.seconds = 0.0
        self.last = 0.0
        self.slowest = 0.0
        """Longest write since the previous scrape (reset by :meth:`take_slowest`)."""

    async def write(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """``store.write(fn)``, timed and counted."""
        started = time.perf_counter()
        try:
            return await self.store.write(fn)
        except StoreError:
            self.errors += 1
            raise
        finally:
            elapsed = time.perf_counter() - started
            self.writes += 1
            self.seconds += elapsed
            self.last = elapsed
            self.slowest = max(self.slowest, elapsed)

    async def read(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """``store.read(fn)`` (not timed: reads never wait for the writer under WAL)."""
        return await self.store.read(fn)

    def take_slowest(self) -> float:
        """The longest write since the last call; resets it."""
        slowest, self.slowest = self.slowest, 0.0
        return slowest


class DbCollector:
    """cl_hub_db_* families for every timed store."""

    def __init__(self) -> None:
        self.timers: list[DbTimer] = []

    def collect(self) -> Iterator[Metric]:
        """Yield the families (called in the render thread)."""
        writes = CounterMetricFamily(
            "cl_hub_db_writes", "SQLite write transactions, by database.", labels=("db",)
        )
        errors = CounterMetricFamily(
            "cl_hub_db_write_errors", "SQLite write transactions that failed, by database.", labels=("db",)
        )
        seconds = CounterMetricFamily(
            "cl_hub_db_write_seconds",
            "Time callers waited for SQLite writes (queue + transaction + fsync), by database.",
            labels=("db",),
        )
        slowest = GaugeMetricFamily(
            "cl_hub_db_write_max_seconds",
            "Longest SQLite write since the previous scrape, by database.",
            labels=("db",),
        )
        for timer in self.timers:
            writes.add_metric((timer.name,), timer.writes)
            errors.add_metric((timer.name,), timer.errors)
            seconds.add_metric((timer.name,), timer.seconds)
            slowest.add_metric((timer.name,), timer.take_slowest())
        yield from (writes, errors, seconds, slowest)
