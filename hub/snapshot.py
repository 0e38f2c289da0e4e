"""Frozen views of the fleet, handed from the event loop to render threads and handlers.

A view shares the value and definition mappings of the live state: the state replaces
those mappings on every change instead of mutating them (copy-on-write), so a view
taken at one instant stays consistent while ingest carries on. Views are NamedTuples
rather than frozen dataclasses because a snapshot builds one per device on the event
loop, and a tuple is built about six times faster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from contract.topics import NodeKind
from hub.series import SeriesDef, SeriesKey
from hub.stats import StatsView

#: Labels of cl_device_info taken from BIRTH labels (device first, then its node).
PLACE_LABELS: tuple[str, ...] = ("county", "township", "village", "site")


class NodeView(NamedTuple):
    """One node (edge agent or kiosk) as of the snapshot."""

    kind: NodeKind
    id: str
    online: bool
    bd_seq: int
    version: str
    labels: Mapping[str, str]
    defs: Mapping[str, SeriesDef]
    values: Mapping[SeriesKey, float]
    born: float
    last_seen: float
    died: float | None
    seq_gaps: int
    devices: int


class DeviceView(NamedTuple):
    """One device behind an agent as of the snapshot."""

    id: str
    node: str
    node_kind: NodeKind
    kind: str
    online: bool
    labels: Mapping[str, str]
    defs: Mapping[str, SeriesDef]
    values: Mapping[SeriesKey, float]
    born: float
    last_seen: float
    died: float | None
    death_reason: str | None

    def place(self, node_labels: Mapping[str, str]) -> tuple[str, ...]:
        """Values of :data:`PLACE_LABELS`; a device without a label inherits its node's."""
        return tuple(self.labels.get(k) or node_labels.get(k, "") for k in PLACE_LABELS)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything /metrics and /healthz show, taken at one instant on the event loop."""

    nodes: tuple[NodeView, ...]
    devices: tuple[DeviceView, ...]
    series: int
    max_series: int
    stats: StatsView
    hub_id: str

    def node_labels(self) -> dict[tuple[NodeKind, str], Mapping[str, str]]:
        """BIRTH labels of every node, by (kind, id)."""
        return {(n.kind, n.id): n.labels for n in self.nodes}

    def node_counts(self) -> dict[tuple[str, str], int]:
        """Number of nodes by (kind, "online"|"offline"), every combination present."""
        counts = {(k.value, s): 0 for k in NodeKind for s in ("online", "offline")}
        for node in self.nodes:
            counts[(node.kind.value, "online" if node.online else "offline")] += 1
        return counts

    def device_counts(self) -> dict[str, int]:
        """Number of devices by "online"|"offline"."""
        online = sum(1 for d in self.devices if d.online)
        return {"online": online, "offline": len(self.devices) - online}
