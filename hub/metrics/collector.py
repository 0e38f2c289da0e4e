"""The hub's own families (cl_hub_*), from one Snapshot, through prometheus_client.

They are a few dozen series, so prometheus_client's Metric objects cost nothing worth
saving here; device and node samples and the fleet families, which scale with the fleet,
are written as text directly (:mod:`hub.metrics.samples`, :mod:`hub.metrics.fleet`).
Nothing here keeps state between scrapes, and no sample carries a timestamp.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)

from contract.version import CONTRACT_VERSION
from hub.snapshot import Snapshot
from hub.stats import DROP_REASONS, REJECT_REASONS, STATUSES, VERBS


class HubCollector:
    """Collects the hub's self-metrics of one snapshot."""

    def __init__(self, snapshot: Snapshot, conflicts: int = 0) -> None:
        self._snap = snapshot
        self.conflicts = conflicts
        """Series left out because their family is declared elsewhere with another type or labels."""

    def collect(self) -> Iterator[Metric]:
        """Yield the families; called by prometheus_client's exposition in a render thread."""
        yield from self._hub()

    # -- the hub itself -----------------------------------------------------------------------

    def _hub(self) -> Iterator[Metric]:
        snap, stats = self._snap, self._snap.stats
        yield InfoMetricFamily(
            "cl_hub", "This hub (value 1).", value={"hub_id": snap.hub_id, "contract": str(CONTRACT_VERSION)}
        )
        yield _gauge("cl_hub_mqtt_connected", "1 while connected to the broker.", float(stats.mqtt_connected))
        yield _counter("cl_hub_mqtt_connects", "Successful connections to the broker.", stats.mqtt_connects)
        yield _gauge(
            "cl_hub_last_message_age_seconds",
            "Seconds since the last MQTT message (since start-up if none).",
            stats.last_message_age,
        )
        yield _gauge(
            "cl_hub_mqtt_silent",
            "1 while connected and subscribed but no message came for mqtt.silent_after seconds.",
            float(stats.silent),
        )
        messages = CounterMetricFamily(
            "cl_hub_messages", "MQTT messages received, by verb and outcome.", labels=("verb", "status")
        )
        for verb in VERBS:
            for status in STATUSES:
                messages.add_metric((verb, status), stats.messages.get((verb, status), 0))
        yield messages
        yield _by(
            "cl_hub_rejected", "Messages rejected, by reason.", "reason", REJECT_REASONS, stats.rejected
        )
        yield _by(
            "cl_hub_series_dropped",
            "Samples not stored: over the series cap, undeclared in BIRTH, or labels unlike the BIRTH's.",
            "reason",
            DROP_REASONS,
            stats.dropped,
        )
        yield _counter("cl_hub_seq_gaps", "Gaps in nodes' seq streams.", stats.seq_gaps)
        yield _counter(
            "cl_hub_seq_missing_messages", "Messages missing in those gaps.", stats.missing_messages
        )
        yield _counter(
            "cl_hub_seq_reordered",
            "Messages that arrived late but within the reorder window, filling a seq gap.",
            stats.reordered,
        )
        yield _counter(
            "cl_hub_deaths_ignored",
            "Node DEATHs ignored because their bdSeq was not the live session's.",
            stats.deaths_ignored,
        )
        yield _counter(
            "cl_hub_rebirths_requested", "Rebirth commands sent to nodes.", stats.rebirths_requested
        )
        yield _counter(
            "cl_hub_rebirths_suppressed",
            "Rebirths not sent because the node was asked recently.",
            stats.rebirths_suppressed,
        )
        nodes = GaugeMetricFamily(
            "cl_hub_nodes", "Nodes known, by kind and session state.", labels=("kind", "state")
        )
        for (kind, state), count in sorted(snap.node_counts().items()):
            nodes.add_metric((kind, state), count)
        yield nodes
        devices = GaugeMetricFamily(
            "cl_hub_devices",
            "Devices known, by session state (unknown: restored, not re-born).",
            labels=("state",),
        )
        for state, count in sorted(snap.device_counts().items()):
            devices.add_metric((state,), count)
        yield devices
        yield _gauge("cl_hub_series", "Device and node sample series held.", snap.series)
        yield _gauge("cl_hub_series_limit", "Cap on cl_hub_series (metrics.max_series).", snap.max_series)
        yield _gauge(
            "cl_hub_series_conflicts",
            "Series left out of this scrape because their family has another type elsewhere.",
            self.conflicts,
        )
        yield _gauge("cl_hub_ingest_backlog", "Received messages waiting for the event loop.", stats.backlog)
        yield _gauge(
            "cl_hub_render_duration_seconds",
            "Wall time of the previous /metrics render.",
            stats.last_render_seconds,
        )


def _gauge(name: str, help_: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_, value=value)


def _counter(name: str, help_: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, help_, value=value)


def _by(
    name: str, help_: str, label: str, known: tuple[str, ...], counts: Mapping[str, int]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, help_, labels=(label,))
    for key in sorted({*known, *counts}):
        family.add_metric((key,), counts.get(key, 0))
    return family
