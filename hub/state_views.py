"""What the rest of the hub reads of the session model: queries, inventory records, snapshots.

:class:`FleetViews` holds the model's storage and only reads it; :class:`hub.state.FleetState`
adds the session rules that change it. Like the rules, these run on the event loop thread;
:meth:`FleetViews.snapshot` is the only way out for threads.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping

from contract.topics import NodeKind
from hub.snapshot import DeviceRecord, DeviceView, NodeRecord, NodeView, Snapshot
from hub.state_owner import Device, Node, NodeKey, state_of
from hub.stats import StatsView

#: Devices a fleet must have before a snapshot freezes the GC's heap (see ``freeze_gc``).
_FREEZE_FROM = 1000


class FleetViews:
    """Nodes, devices and the series count, seen from outside the session rules."""

    def __init__(self, *, max_series: int, hub_id: str, freeze_gc: bool = False) -> None:
        """``freeze_gc``: after a snapshot of a fleet that grew by a quarter, ``gc.freeze()``.

        At a province shard's 620k series the cyclic GC's full pass, which holds the GIL and
        so stalls ingest, walked ~250k tracked objects in ~180 ms (260-470 ms on a busy
        machine) every ~50k messages (bench/hub_render.py). Most of them (nodes, devices,
        definitions, the renderer's per-device cache) live as long as the fleet does:
        frozen, the pass skips them and takes about half as long.
        Growth by a quarter bounds the freezes to a dozen or so while a fleet is born, so
        the only cost, cyclic garbage that happens to be uncollected at a freeze and so is
        kept for good, stays small. The hub turns it on (hub/app.py); off for models built
        elsewhere (tests, benches).
        """
        self._max_series = max_series
        self._hub_id = hub_id
        self._nodes: dict[NodeKey, Node] = {}
        self._devices: dict[str, Device] = {}
        self._series = 0
        self._freeze_above = _FREEZE_FROM if freeze_gc else None

    @property
    def series(self) -> int:
        """Device and node sample series currently stored."""
        return self._series

    def node_online(self, kind: NodeKind, node: str) -> bool:
        """Whether ``node`` has a live session."""
        found = self._nodes.get((kind, node))
        return found is not None and found.online

    def device_state(self, device_id: str) -> str | None:
        """``online``, ``offline``, ``unknown`` (restored, not re-born), or None when never seen."""
        device = self._devices.get(device_id)
        return None if device is None else state_of(device)

    def node_state(self, kind: NodeKind, node_id: str) -> str | None:
        """Like :meth:`device_state`, for a node."""
        node = self._nodes.get((kind, node_id))
        return None if node is None else state_of(node)

    def device_values(self, device_id: str) -> Mapping[tuple[str, tuple[str, ...]], float] | None:
        """Latest values of a live device (None when unknown or offline)."""
        device = self._devices.get(device_id)
        return device.values if device is not None and device.online else None

    def pending_nodes(self) -> list[NodeKey]:
        """Restored nodes that have not re-born yet (the ones to ask for a rebirth)."""
        return [key for key, node in self._nodes.items() if node.pending]

    # -- the inventory ----------------------------------------------------------------------

    def node_record(self, key: NodeKey) -> NodeRecord | None:
        """What the inventory stores of one node."""
        n = self._nodes.get(key)
        if n is None:
            return None
        return NodeRecord(
            n.kind.value, n.id, n.online or n.pending, n.bd_seq, n.version, dict(n.labels),
            n.first_seen, n.last_seen, n.born, n.died, tuple(sorted(n.devices)),
        )  # fmt: skip

    def device_record(self, device_id: str) -> DeviceRecord | None:
        """What the inventory stores of one device."""
        d = self._devices.get(device_id)
        if d is None:
            return None
        return DeviceRecord(
            d.id, d.node[0].value, d.node[1], d.kind, d.online or d.pending, dict(d.labels),
            d.first_seen, d.last_seen, d.born, d.died, d.death_reason,
        )  # fmt: skip

    def last_seen(self) -> tuple[list[tuple[float, str, str]], list[tuple[float, str]]]:
        """(last_seen, kind, id) of every node and (last_seen, id) of every device."""
        nodes = [(n.last_seen, n.kind.value, n.id) for n in self._nodes.values()]
        return nodes, [(d.last_seen, d.id) for d in self._devices.values()]

    # -- the snapshot -----------------------------------------------------------------------

    def snapshot(self, stats: StatsView) -> Snapshot:
        """A frozen view of everything; ``stats`` is taken by the caller, who adds the hand-off's counters."""
        # tuple.__new__ skips the NamedTuples' generated __new__ (a Python frame per view):
        # this runs on the event loop for every scrape, once per device.
        make = tuple.__new__
        nodes = tuple(
            make(NodeView, (
                n.kind, n.id, n.online, n.bd_seq, n.version, n.labels, n.defs, n.values, n.born,
                n.last_seen, n.died, n.seq_gaps, len(n.devices), n.pending, n.first_seen,
            ))
            for n in self._nodes.values()
        )  # fmt: skip
        devices = tuple(
            make(DeviceView, (
                d.id, d.node[1], d.node[0], d.kind, d.online, d.labels, d.defs, d.values, d.born,
                d.last_seen, d.died, d.death_reason, d.pending, d.first_seen,
            ))
            for d in self._devices.values()
        )  # fmt: skip
        if self._freeze_above is not None and len(devices) >= self._freeze_above:
            gc.freeze()  # O(1): moves the tracked objects to a generation no pass visits
            self._freeze_above = len(devices) * 5 // 4
        return Snapshot(
            nodes=nodes,
            devices=devices,
            series=self._series,
            max_series=self._max_series,
            stats=stats,
            hub_id=self._hub_id,
        )
