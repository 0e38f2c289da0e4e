"""Help-call metrics for /metrics: are villagers who pressed 一键求助 being answered?

Built on every scrape from workorders.db (a read-only connection in the render thread)
plus a copy of the notifier's and the roster file's in-memory counters. Labels are
bounded: county names from the fleet and error reasons from
:data:`hub.helpcalls.notifier.REASONS`.
Families are listed in docs/workorders.md, "Help calls".
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from hub.helpcalls.notifier import REASONS
from hub.workorders.places import Places


class HelpCallsCollector:
    """One scrape's view; built by the provider registered with the renderer."""

    def __init__(
        self, path: Path, places: Places, now: float, escalate_after: float, counters: dict[str, Any]
    ) -> None:
        self._path = path
        self._places = places
        self._now = now
        self._after = escalate_after
        self._counters = counters

    def collect(self) -> Iterator[Metric]:
        """Yield every family; called in the render thread."""
        errors = CounterMetricFamily(
            "cl_helpcall_notify_errors",
            "Help-call notices that failed to deliver (each is retried), by reason",
            labels=["reason"],
        )
        for reason in REASONS:
            errors.add_metric([reason], self._counters["errors"].get(reason, 0))
        yield errors
        yield CounterMetricFamily(
            "cl_helpcall_roster_errors",
            "Edits of the duty roster file refused (invalid or missing; the previous roster stays)",
            value=self._counters["roster_errors"],
        )
        yield GaugeMetricFamily(
            "cl_helpcall_roster_ok",
            "1 when the roster in effect is the file's current content, 0 after a refused edit",
            value=int(self._counters["roster_ok"]),
        )
        if not self._path.exists():
            return
        conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=5)
        try:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'helpcall_notices'").fetchone():
                yield from self._calls(conn)
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _county(self, code: str | None) -> str:
        fleet = self._places.fleet
        if fleet is None or code is None:
            return code or ""
        county = fleet.index.counties.get(code)
        return county.name if county is not None else code

    def _calls(self, conn: sqlite3.Connection) -> Iterator[Metric]:
        labels = ["county"]
        open_ = GaugeMetricFamily("cl_helpcalls_open", "Help calls not closed yet, by county", labels=labels)
        unacked = GaugeMetricFamily(
            "cl_helpcalls_unacknowledged", "Help calls nobody has acknowledged in the console", labels=labels
        )
        overdue = GaugeMetricFamily(
            "cl_helpcalls_overdue",
            "Unacknowledged help calls older than helpcalls.escalate_after_minutes",
            labels=labels,
        )
        oldest = GaugeMetricFamily(
            "cl_helpcalls_oldest_unacknowledged_seconds",
            "Age of the oldest unacknowledged help call (0 when none)",
            labels=labels,
        )
        nobody = CounterMetricFamily(
            "cl_helpcalls_nobody_on_duty", "Help calls that found nobody on duty to notify", labels=labels
        )
        counties: dict[str, list[float]] = {}
        if self._places.fleet is not None:
            counties = {c.name: [0, 0, 0, 0.0, 0] for c in self._places.fleet.counties}
        for county, n_open, n_unacked, n_overdue, first, n_nobody in conn.execute(
            "SELECT county, SUM(state != 'closed'), SUM(state = 'open'),"
            " SUM(state = 'open' AND received <= ?), MIN(CASE WHEN state = 'open' THEN received END),"
            " SUM(duty_level = 'none')"
            " FROM helpcalls WHERE withdrawn IS NULL AND county IS NOT NULL GROUP BY county",
            [self._now - self._after],
        ):
            counties[self._county(county)] = [
                n_open or 0,
                n_unacked or 0,
                n_overdue or 0,
                max(0.0, self._now - first) if first is not None else 0.0,
                n_nobody or 0,
            ]
        for name, (n_open, n_unacked, n_overdue, age, n_nobody) in sorted(counties.items()):
            open_.add_metric([name], n_open)
            unacked.add_metric([name], n_unacked)
            overdue.add_metric([name], n_overdue)
            oldest.add_metric([name], age)
            nobody.add_metric([name], n_nobody)
        yield from (open_, unacked, overdue, oldest, nobody)
        pending, sent = conn.execute(
            "SELECT SUM(state = 'pending'), SUM(state = 'sent') FROM helpcall_notices"
        ).fetchone()
        yield GaugeMetricFamily(
            "cl_helpcall_notices_pending", "Help-call notices waiting to be delivered", value=pending or 0
        )
        yield CounterMetricFamily("cl_helpcall_notices_sent", "Help-call notices delivered", value=sent or 0)
