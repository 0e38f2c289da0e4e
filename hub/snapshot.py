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
#: Session states of nodes and devices; ``unknown`` is restored after a restart, not re-born yet.
STATES: tuple[str, ...] = ("online", "offline", "unknown")


class Transition(NamedTuple):
    """A change of a node's or device's state, as the inventory and alarms hear of it."""

    ts: float
    entity: str
    """``node`` or ``device``."""
    id: str
    kind: str
    """Node kind (``agent``, ``kiosk``) or device kind (``gnb``...)."""
    node: str
    """The node id (the device's owner, or the node itself)."""
    state: str
    """``online``, ``offline`` or ``removed``."""
    previous: str
    """``new``, ``online``, ``offline`` or ``unknown``."""
    reason: str


class NodeRecord(NamedTuple):
    """A node as the inventory stores it (``online``: last known to be up)."""

    kind: str
    id: str
    online: bool
    bd_seq: int
    version: str
    labels: dict[str, str]
    first_seen: float
    last_seen: float
    born: float
    died: float | None
    devices: tuple[str, ...]


class DeviceRecord(NamedTuple):
    """A device as the inventory stores it."""

    id: str
    node_kind: str
    node: str
    kind: str
    online: bool
    labels: dict[str, str]
    first_seen: float
    last_seen: float
    born: float
    died: float | None
    death_reason: str | None


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
    pending: bool = False
    """Restored after a hub restart and not re-born yet: neither online nor offline."""
    first_seen: float = 0.0

    @property
    def state(self) -> str:
        """``online``, ``offline`` or ``unknown`` (pending)."""
        return "online" if self.online else "unknown" if self.pending else "offline"


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
    pending: bool = False
    first_seen: float = 0.0

    @property
    def state(self) -> str:
        """``online``, ``offline`` or ``unknown`` (pending)."""
        return "online" if self.online else "unknown" if self.pending else "offline"

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
        """Number of nodes by (kind, state), every combination present."""
        counts = {(k.value, s): 0 for k in NodeKind for s in STATES}
        for node in self.nodes:
            counts[(node.kind.value, node.state)] += 1
        return counts

    def device_counts(self) -> dict[str, int]:
        """Number of devices by state (``online``, ``offline``, ``unknown``)."""
        counts = dict.fromkeys(STATES, 0)
        for device in self.devices:
            counts[device.state] += 1
        return counts
