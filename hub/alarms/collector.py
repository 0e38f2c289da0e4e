"""Alarm families for /metrics, built from a copy taken on the event loop.

``cl_alarm_active_info`` has one series per active alarm so that Grafana can list them and
Alertmanager can route them; it is capped (``MAX_ACTIVE_SERIES``) so that a fleet-wide
outage cannot blow the scrape's sample limit, and what was left out is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric

from hub.alarms.engine import SEVERITIES, AlarmEngine

MAX_ACTIVE_SERIES = 20_000
#: Distinct alarm names exposed in cl_alarms_active; agents' names beyond these become "other".
MAX_NAMES = 64


class AlarmCollector:
    """Immutable copy of the engine's counts and active alarms."""

    def __init__(self, engine: AlarmEngine) -> None:
        active = engine.active()
        self._rows = tuple(
            (a.alarm, a.severity, a.entity, a.target, a.resource, a.source)
            for a in active[:MAX_ACTIVE_SERIES]
        )
        self._left_out = max(0, len(active) - MAX_ACTIVE_SERIES)
        by_name: Counter[tuple[str, str]] = Counter((a.alarm, a.severity) for a in active)
        names = {name for name, _ in by_name}
        if len(names) > MAX_NAMES:
            keep = set(sorted(names)[:MAX_NAMES])
            folded: Counter[tuple[str, str]] = Counter()
            for (name, severity), n in by_name.items():
                folded[(name if name in keep else "other", severity)] += n
            by_name = folded
        self._by_name = dict(by_name)
        self._raised = dict(engine.raised_total)
        self._cleared = dict(engine.cleared_total)

    def collect(self) -> Iterator[Metric]:
        """Yield the families (render thread)."""
        active = GaugeMetricFamily(
            "cl_alarms_active", "Active alarms by name and severity.", labels=("alarm", "severity")
        )
        for (name, severity), n in sorted(self._by_name.items()):
            active.add_metric((name, severity), n)
        yield active
        raised = CounterMetricFamily(
            "cl_alarms_raised",
            "Alarms opened, by source (agent/hub) and severity.",
            labels=("source", "severity"),
        )
        cleared = CounterMetricFamily(
            "cl_alarms_cleared", "Alarms cleared, by source and severity.", labels=("source", "severity")
        )
        for source in ("agent", "hub"):
            for severity in SEVERITIES:
                raised.add_metric((source, severity), self._raised.get((source, severity), 0))
                cleared.add_metric((source, severity), self._cleared.get((source, severity), 0))
        yield raised
        yield cleared
        info = InfoMetricFamily(
            "cl_alarm_active",
            "One series per active alarm (value 1): what, how bad, on which device or node.",
            labels=("alarm", "severity", "entity", "target", "resource", "source"),
        )
        for row in self._rows:
            info.add_metric(row, {})
        yield info
        yield GaugeMetricFamily(
            "cl_alarms_active_not_exposed",
            "Active alarms left out of cl_alarm_active_info by its series cap.",
            value=self._left_out,
        )
