"""A prometheus_client Collector that builds every family afresh from one Snapshot.

Nothing here keeps state between scrapes (the writing_exporters rule): a device that died
is simply not in the next snapshot's values, so its series vanish and Prometheus marks
them stale at once. No sample carries a timestamp, for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)

from contract.version import CONTRACT_VERSION
from hub.series import SeriesDef, SeriesKey
from hub.snapshot import PLACE_LABELS, Snapshot
from hub.stats import DROP_REASONS, REJECT_REASONS, STATUSES, VERBS


@dataclass(slots=True)
class _Family:
    """Rows of one exposed family, grouped by the label names of their definition."""

    definition: SeriesDef
    groups: dict[tuple[str, tuple[str, ...]], list[tuple[str, tuple[str, ...], float]]] = field(
        default_factory=dict
    )
    refused: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)

    def admit(self, scope: str, labels: tuple[str, ...]) -> bool:
        """Whether a new group fits: one label name must never mean two things in a family.

        A node may label samples by ``device``; those cannot share a family with
        device samples, whose ``device`` label is the hub's.
        """
        scopes = {g[0] for g in self.groups}
        declared = {label for g in self.groups for label in g[1]}
        if scope in declared or scopes & set(labels):
            self.refused.add((scope, labels))
            return False
        return True


class SnapshotCollector:
    """Collects the hub's self-metrics, the inventory and every live sample of one snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snap = snapshot
        self.conflicts = 0
        """Series left out because their family is declared elsewhere with another type or labels."""

    def collect(self) -> Iterator[Metric]:
        """Yield the families; called by prometheus_client's exposition in a render thread."""
        # Built first: the conflicts they find are reported among the hub's own metrics.
        samples = list(self._samples())
        yield from self._hub()
        yield from self._inventory()
        yield from samples

    # -- device and node samples ------------------------------------------------------------

    def _samples(self) -> Iterator[Metric]:
        families: dict[str, _Family] = {}
        seen_nodes: set[str] = set()
        for node in self._snap.nodes:
            if node.online and node.values:
                if node.id in seen_nodes:
                    # Same id under two kinds: one series name would appear twice, which
                    # Prometheus rejects for the whole scrape.
                    self.conflicts += len(node.values)
                    continue
                seen_nodes.add(node.id)
                self._add(families, "node", node.id, node.defs, node.values)
        for device in self._snap.devices:
            if device.online and device.values:
                self._add(families, "device", device.id, device.defs, device.values)
        for family in families.values():
            yield _build(family)

    def _add(
        self,
        families: dict[str, _Family],
        scope: str,
        owner: str,
        defs: Mapping[str, SeriesDef],
        values: Mapping[SeriesKey, float],
    ) -> None:
        for (name, label_values), value in values.items():
            definition = defs[name]
            family = families.get(definition.family)
            if family is None:
                family = families[definition.family] = _Family(definition)
            elif family.definition.type != definition.type:
                self.conflicts += 1
                continue
            group = (scope, definition.labels)
            rows = family.groups.get(group)
            if rows is None:
                if group in family.refused or not family.admit(*group):
                    self.conflicts += 1
                    continue
                rows = family.groups[group] = []
            rows.append((owner, label_values, value))

    # -- inventory --------------------------------------------------------------------------

    def _inventory(self) -> Iterator[Metric]:
        node_labels = self._snap.node_labels()
        info = InfoMetricFamily(
            "cl_device",
            "Every device the hub knows (value 1); join on device for its place and agent.",
            labels=("device", "kind", "node", *PLACE_LABELS),
        )
        up = GaugeMetricFamily(
            "cl_device_up", "1 while the device's session is live, 0 after its DEATH.", labels=("device",)
        )
        for device in self._snap.devices:
            place = device.place(node_labels.get((device.node_kind, device.node), {}))
            info.add_metric((device.id, device.kind, device.node, *place), {})
            if not device.pending:  # unknown is not down: no sample until it re-births or dies
                up.add_metric((device.id,), 1.0 if device.online else 0.0)
        node_info = InfoMetricFamily(
            "cl_node",
            "Every node (edge agent or kiosk) the hub knows (value 1), with its software version.",
            labels=("node", "kind", "version", *PLACE_LABELS),
        )
        node_up = GaugeMetricFamily(
            "cl_node_up", "1 while the node's session is live.", labels=("node", "kind")
        )
        for node in self._snap.nodes:
            place = tuple(node.labels.get(k, "") for k in PLACE_LABELS)
            node_info.add_metric((node.id, node.kind.value, node.version, *place), {})
            if not node.pending:
                node_up.add_metric((node.id, node.kind.value), 1.0 if node.online else 0.0)
        yield from (info, up, node_info, node_up)

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


def _build(family: _Family) -> Metric:
    definition = family.definition
    scopes = sorted({scope for scope, _ in family.groups})
    extra = sorted({label for _, labels in family.groups for label in labels})
    names = (*scopes, *extra)
    if definition.type == "counter":
        counter = CounterMetricFamily(definition.family, definition.help, labels=names)
        for row, value in _rows(family, names):
            counter.add_metric(row, value)
        return counter
    if definition.type == "info":
        info = InfoMetricFamily(definition.family, definition.help, labels=names)
        for row, _ in _rows(family, names):
            info.add_metric(row, {})  # an info sample is 1 by definition
        return info
    # A stateset arrives as one 0/1 sample per state label: a gauge in the text format,
    # and no risk of writing an invalid OpenMetrics stateset.
    gauge = GaugeMetricFamily(definition.family, definition.help, labels=names)
    for row, value in _rows(family, names):
        gauge.add_metric(row, value)
    return gauge


def _rows(family: _Family, names: tuple[str, ...]) -> Iterator[tuple[list[str], float]]:
    """Label values in ``names`` order; labels a definition lacks are "" (absent to Prometheus)."""
    width = len(names)
    for (scope, labels), rows in family.groups.items():
        if names == (scope, *labels):
            # The usual case (one scope, labels declared in sorted order): no reshuffling.
            for owner, label_values, value in rows:
                yield [owner, *label_values], value
            continue
        slots = [names.index(label) for label in labels]
        scope_slot = names.index(scope)
        for owner, label_values, value in rows:
            row = [""] * width
            row[scope_slot] = owner
            for slot, label_value in zip(slots, label_values, strict=True):
                row[slot] = label_value
            yield row, value


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
