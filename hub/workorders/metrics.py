"""Outcome metrics for /metrics: what happened to villagers' appeals, not how many were typed in.

Built fresh on every scrape from workorders.db (a read-only connection in the render
thread; WAL readers never block the writer), plus the service's in-memory request
counters. Every label comes from a closed set: categories and departments from the rules
file, place names from the fleet, states and reasons from code. Place labels use names,
like the hub's inventory series, so dashboards can join them.

Families (all prefixed ``cl_``): see docs/workorders.md, "Metrics".
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from hub.workorders.flow import OPEN
from hub.workorders.integrity import KINDS, SOURCES, bursts
from hub.workorders.places import Places
from hub.workorders.rules import Rules

_DAY = 86400.0
#: Resolution-time buckets in days: same day, the 3/5/7/15 working-day limits and beyond.
BUCKET_DAYS = (1, 2, 3, 5, 7, 10, 15, 21, 30, 60)
_OPEN = tuple(s.value for s in OPEN)


class WorkOrdersCollector:
    """A prometheus_client collector over the work-order database."""

    def __init__(
        self,
        path: Path,
        rules: Rules,
        places: Places,
        clock: Callable[[], float],
        counters: Callable[[], dict[str, object]],
    ) -> None:
        self._path = path
        self._rules = rules
        self._places = places
        self._clock = clock
        self._counters = counters

    def collect(self) -> Iterator[Metric]:
        """Yield every family; called in the render thread."""
        yield from self._service()
        if not self._path.exists():
            return
        conn = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=5)
        try:
            db = sqlite_utils.Database(conn)
            if "orders" not in db.table_names():
                return
            yield from self._orders(conn)
            yield from self._feedback(conn)
            yield from self._usage(conn)
            yield from self._integrity(db)
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    # -- helpers -----------------------------------------------------------------------------

    def _county(self, code: str) -> str:
        if self._places.fleet is None:
            return code
        county = self._places.fleet.index.counties.get(code)
        return county.name if county is not None else code

    def _service(self) -> Iterator[Metric]:
        c = self._counters()
        requests = CounterMetricFamily(
            "cl_workorders_requests",
            "Kiosk requests handled, by kind and result (stored, duplicate, result, or why rejected)",
            labels=["kind", "result"],
        )
        pairs = c.get("requests", {})
        assert isinstance(pairs, dict)
        for (kind, result), n in sorted(pairs.items()):
            requests.add_metric([kind, result], n)
        yield requests
        for name, key, help_text in (
            ("cl_workorders_queue_dropped", "dropped", "Requests dropped because the intake queue was full"),
            ("cl_workorders_pushes", "pushes", "receipt_status commands sent to kiosks"),
        ):
            family = CounterMetricFamily(name, help_text)
            value = c.get(key, 0)
            assert isinstance(value, int)
            family.add_metric([], value)
            yield family

    def _orders(self, conn: sqlite3.Connection) -> Iterator[Metric]:
        now = self._clock()
        orders = CounterMetricFamily(
            "cl_workorders_orders",
            "Work orders created, by category and county",
            labels=["category", "county"],
        )
        appeals = CounterMetricFamily(
            "cl_workorders_appeals",
            "Appeals filed, seconds (附议) included, by category and county",
            labels=["category", "county"],
        )
        for category, county, n_orders, n_appeals in conn.execute(
            "SELECT o.category, o.county, COUNT(DISTINCT o.id), COUNT(f.id) FROM orders o"
            " JOIN filings f ON f.order_id = o.id GROUP BY o.category, o.county"
        ):
            orders.add_metric([category, self._county(county)], n_orders)
            appeals.add_metric([category, self._county(county)], n_appeals)
        yield orders
        yield appeals
        marks = ",".join("?" * len(_OPEN))
        open_ = GaugeMetricFamily(
            "cl_workorders_open", "Open work orders by department and state", labels=["department", "state"]
        )
        overdue = GaugeMetricFamily(
            "cl_workorders_overdue", "Open work orders past their deadline", labels=["department"]
        )
        late: dict[str, int] = {d.id: 0 for d in self._rules.departments}
        for department, state, n, n_late in conn.execute(
            f"SELECT department, state, COUNT(*), SUM(deadline < ?) FROM orders WHERE state IN ({marks})"  # noqa: S608
            " GROUP BY department, state",
            [now, *_OPEN],
        ):
            open_.add_metric([department, state], n)
            late[department] = late.get(department, 0) + int(n_late or 0)
        for department, n in sorted(late.items()):
            overdue.add_metric([department], n)
        yield open_
        yield overdue
        yield from self._resolution(conn)

    def _resolution(self, conn: sqlite3.Connection) -> Iterator[Metric]:
        bounds = [d * _DAY for d in BUCKET_DAYS]
        per: dict[str, tuple[list[int], float, int]] = {}
        for category, seconds in conn.execute(
            "SELECT category, first_resolved - created FROM orders WHERE first_resolved IS NOT NULL"
        ):
            counts, total, n = per.setdefault(category, ([0] * len(bounds), 0.0, 0))
            for i, bound in enumerate(bounds):
                if seconds <= bound:
                    counts[i] += 1
            per[category] = (counts, total + seconds, n + 1)
        histogram = HistogramMetricFamily(
            "cl_workorders_resolution_seconds",
            "Time from receipt to the first resolution, by category",
            labels=["category"],
        )
        for category, (counts, total, n) in sorted(per.items()):
            buckets = [(str(float(b)), c) for b, c in zip(bounds, counts, strict=True)] + [("+Inf", n)]
            histogram.add_metric([category], buckets, total)
        yield histogram
        resolved = CounterMetricFamily(
            "cl_workorders_resolved", "Work orders resolved at least once", labels=["category"]
        )
        reopened = CounterMetricFamily(
            "cl_workorders_reopened", "Reopenings (重办) of resolved orders", labels=["category"]
        )
        totals = conn.execute(
            "SELECT category, SUM(first_resolved IS NOT NULL), SUM(reopened), SUM(reopened > 0)"
            " FROM orders GROUP BY category"
        ).fetchall()
        for category, n_resolved, n_reopened, _ in totals:
            resolved.add_metric([category], int(n_resolved or 0))
            reopened.add_metric([category], int(n_reopened or 0))
        yield resolved
        yield reopened
        ever = sum(int(r[1] or 0) for r in totals)
        again = sum(int(r[3] or 0) for r in totals)
        ratio = GaugeMetricFamily(
            "cl_workorders_reopen_ratio", "Share of resolved orders that had to be reopened at least once"
        )
        ratio.add_metric([], again / ever if ever else 0.0)
        yield ratio

    def _feedback(self, conn: sqlite3.Connection) -> Iterator[Metric]:
        ratings = CounterMetricFamily(
            "cl_ratings",
            "好差评 ratings received, by target kind, score and county",
            labels=["target_kind", "score", "county"],
        )
        for kind, score, county, n in conn.execute(
            "SELECT target_kind, score, COALESCE(county, ''), COUNT(*) FROM ratings GROUP BY 1, 2, 3"
        ):
            ratings.add_metric([kind, str(score), self._county(county)], n)
        yield ratings
        satisfaction = GaugeMetricFamily(
            "cl_ratings_satisfaction_ratio",
            "Share of standing ratings that are 4 or 5 (满意, 非常满意), by county",
            labels=["county"],
        )
        for county, good, n in conn.execute(
            "SELECT COALESCE(county, ''), SUM(score >= 4), COUNT(*) FROM ratings"
            " WHERE withdrawn IS NULL GROUP BY 1"
        ):
            satisfaction.add_metric([self._county(county)], (good or 0) / n)
        yield satisfaction
        open_ = GaugeMetricFamily(
            "cl_followups_open", "Open follow-up tasks (bad ratings) by department", labels=["department"]
        )
        late = GaugeMetricFamily(
            "cl_followups_overdue", "Follow-up tasks past their deadline", labels=["department"]
        )
        for department, n, n_late in conn.execute(
            "SELECT department, COUNT(*), SUM(deadline < ?) FROM tasks WHERE state = 'open'"
            " GROUP BY department",
            [self._clock()],
        ):
            open_.add_metric([department], n)
            late.add_metric([department], int(n_late or 0))
        yield open_
        yield late
        calls = CounterMetricFamily(
            "cl_helpcalls", "One-key help calls from kiosks, by county", labels=["county"]
        )
        per_county: dict[str, int] = {}
        for village, n in conn.execute("SELECT village, COUNT(*) FROM helpcalls GROUP BY village"):
            place = self._places.village(village)
            county = (place.county_name or place.county) if place is not None else ""
            per_county[county] = per_county.get(county, 0) + n
        for county, n in sorted(per_county.items()):
            calls.add_metric([county], n)
        yield calls

    def _usage(self, conn: sqlite3.Connection) -> Iterator[Metric]:
        labels = ["county", "township", "village"]
        sessions = CounterMetricFamily(
            "cl_usage_sessions", "Kiosk sessions that ended, by village", labels=labels
        )
        served = CounterMetricFamily(
            "cl_usage_active_sessions",
            "Kiosk sessions in which at least one service was completed",
            labels=labels,
        )
        services = CounterMetricFamily(
            "cl_usage_services", "Services completed at kiosks, by village", labels=labels
        )
        assisted = CounterMetricFamily(
            "cl_usage_assisted_sessions", "Kiosk sessions run by a helper (代办)", labels=labels
        )
        for village, n, n_served, n_services, n_assisted in conn.execute(
            "SELECT village, COUNT(*), SUM(services > 0), SUM(services), SUM(assisted)"
            " FROM usage GROUP BY village"
        ):
            place = self._places.village(village)
            names = (
                [place.county_name, place.township_name, place.village_name] if place else ["", "", village]
            )
            sessions.add_metric(names, n)
            served.add_metric(names, int(n_served or 0))
            services.add_metric(names, int(n_services or 0))
            assisted.add_metric(names, int(n_assisted or 0))
        yield from (sessions, served, services, assisted)

    def _integrity(self, db: sqlite_utils.Database) -> Iterator[Metric]:
        found = bursts(db, self._rules, self._clock())
        family = GaugeMetricFamily(
            "cl_integrity_bursts",
            "Kiosks or helpers whose requests came in a burst within the look-back (possible proxy filling)",
            labels=["kind", "source"],
        )
        for kind in KINDS:
            for _, source in SOURCES:
                family.add_metric(
                    [kind, source], sum(1 for b in found if b.kind == kind and b.source == source)
                )
        yield family
