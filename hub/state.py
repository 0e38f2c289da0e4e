"""The fleet's session model (Sparkplug B's, per contract.session).

Who is online, what each node and device declared in its BIRTH, and latest values.

Rules, and why:

- Only a DEATH makes values stale; silence means unchanged (no TTL guessing).
- A node DEATH counts only if its bdSeq equals the current BIRTH's: a Will from an older
  connection can arrive after the new BIRTH and must not kill the fresh session.
- A node DEATH takes all of the node's devices offline; a device DEATH takes one.
- A node BIRTH with a new bdSeq starts a new session, so the old session's devices are
  offline until they are born again; a rebirth (same bdSeq) keeps them.
- DATA, device BIRTH and device DEATH need a live node session. Without one the hub has
  no metric definitions to type the values by, so it rejects them and asks for a rebirth.
- Historical (replayed) messages are counted but never touch live values.
- Device ids are taken as fleet-wide unique: a device BIRTH from another node moves the
  device there (targets get re-homed between agents), and the old owner can no longer
  speak for it.

All methods run on the event loop thread; :meth:`FleetState.snapshot` is the only way out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from contract import payloads as p
from contract.session import SeqTracker
from contract.topics import NodeKind, Topic
from hub import series
from hub.ratelimit import RateLimiter
from hub.series import SeriesDef, SeriesKey
from hub.snapshot import DeviceView, NodeView, Snapshot
from hub.stats import Stats, StatsView

log = logging.getLogger(__name__)

NodeKey = tuple[NodeKind, str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one decoded message."""

    status: str
    """``ok``, ``rejected`` or ``historical`` (the status label of cl_hub_messages_total)."""
    reason: str | None = None
    rebirth: bool = False
    """The node's stream is broken (a seq gap, or no session): ask it to rebirth."""


OK = Outcome("ok")
HISTORICAL = Outcome("historical")


@dataclass(slots=True)
class _Owner:
    """What nodes and devices share: declared metrics and their latest values."""

    defs: Mapping[str, SeriesDef] = field(default_factory=dict)
    values: Mapping[SeriesKey, float] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    online: bool = False
    born: float = 0.0
    last_seen: float = 0.0
    died: float | None = None


@dataclass(slots=True)
class _Node(_Owner):
    kind: NodeKind = NodeKind.AGENT
    id: str = ""
    bd_seq: int = 0
    version: str = ""
    seq: SeqTracker = field(default_factory=SeqTracker)
    seq_gaps: int = 0
    devices: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Device(_Owner):
    id: str = ""
    node: NodeKey = (NodeKind.AGENT, "")
    kind: str = ""
    death_reason: str | None = None


class FleetState:
    """Nodes, their devices and latest values, driven by decoded contract messages."""

    def __init__(self, stats: Stats, *, max_series: int, hub_id: str = "") -> None:
        self._stats = stats
        self._max_series = max_series
        self._hub_id = hub_id
        self._nodes: dict[NodeKey, _Node] = {}
        self._devices: dict[str, _Device] = {}
        self._series = 0
        self._log_limit = RateLimiter(interval=60.0)

    # -- messages -------------------------------------------------------------------------

    def apply(self, topic: Topic, msg: p.Message, now: float) -> Outcome:
        """Apply one decoded node message received at ``now`` (host time, seconds)."""
        key = (topic.kind, topic.node)
        if isinstance(msg, p.NodeBirth):
            return self._node_birth(key, msg, now)
        if isinstance(msg, p.NodeDeath):
            return self._node_death(key, msg, now)
        if not isinstance(msg, p.Data | p.DeviceBirth | p.DeviceDeath | p.Alarm | p.Event | p.Request):
            return OK  # hub-to-node verbs: not subscribed, nothing to do if one slips in
        node = self._nodes.get(key)
        if node is None or not node.online:
            # Alarms, events and requests mean something without a session; the rest do not.
            if isinstance(msg, p.Alarm | p.Event | p.Request):
                return Outcome("historical" if msg.historical else "ok", rebirth=True)
            return Outcome("rejected", "no_session", rebirth=True)
        node.last_seen = now
        gap = node.seq.observe(msg.seq)
        if gap:
            node.seq_gaps += 1
            self._stats.seq_gaps += 1
            self._stats.missing_messages += gap
        outcome = self._in_session(node, topic, msg, now)
        if gap and not outcome.rebirth:
            return Outcome(outcome.status, outcome.reason, rebirth=True)
        return outcome

    def _in_session(self, node: _Node, topic: Topic, msg: p.Message, now: float) -> Outcome:
        if isinstance(msg, p.DeviceBirth) and topic.device is not None:
            self._device_birth(node, topic.device, msg, now)
            return OK
        if isinstance(msg, p.DeviceDeath) and topic.device is not None:
            self._device_death(node, topic.device, msg, now)
            return OK
        if isinstance(msg, p.Data):
            if msg.historical:
                return HISTORICAL
            if topic.device is None:
                self._store(node, msg.metrics)
                return OK
            device = self._devices.get(topic.device)
            if device is None or not device.online:
                return Outcome("rejected", "no_session", rebirth=True)
            if device.node != (node.kind, node.id):
                return Outcome("rejected", "not_owner")
            device.last_seen = now
            self._store(device, msg.metrics)
            return OK
        if isinstance(msg, p.Alarm | p.Event | p.Request) and msg.historical:
            return HISTORICAL
        return OK

    def _node_birth(self, key: NodeKey, msg: p.NodeBirth, now: float) -> Outcome:
        defs = self._accept(msg.metrics, "node", f"node {key[1]}", now)
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = _Node(kind=key[0], id=key[1])
        rebirth = node.online and node.bd_seq == msg.bd_seq
        if not rebirth:
            for device_id in node.devices:
                self._kill(self._devices[device_id], now, "new_session")
        keep = series.carry_over(node.values, node.defs, defs) if node.online else {}
        self._series += len(keep) - len(node.values)
        node.defs, node.values = defs, keep
        node.bd_seq, node.version, node.labels = msg.bd_seq, msg.version, msg.labels
        node.online, node.born, node.last_seen, node.died = True, now, now, None
        node.seq.reset(msg.seq)
        listed = set(msg.devices)
        for device_id in node.devices - listed:
            self._forget(device_id)
        node.devices &= listed
        return OK

    def _node_death(self, key: NodeKey, msg: p.NodeDeath, now: float) -> Outcome:
        node = self._nodes.get(key)
        if node is None or not node.online:
            return OK
        if msg.bd_seq != node.bd_seq:
            self._stats.deaths_ignored += 1
            return OK
        self._kill(node, now, None)
        for device_id in node.devices:
            self._kill(self._devices[device_id], now, "node_death")
        return OK

    def _device_birth(self, node: _Node, device_id: str, msg: p.DeviceBirth, now: float) -> None:
        defs = self._accept(msg.metrics, "device", f"device {device_id}", now)
        node_key = (node.kind, node.id)
        device = self._devices.get(device_id)
        if device is None:
            device = self._devices[device_id] = _Device(id=device_id, node=node_key)
        elif device.node != node_key:
            log.info("device %s moved from node %s to node %s", device_id, device.node[1], node.id)
            self._kill(device, now, "moved")
            previous = self._nodes.get(device.node)
            if previous is not None:
                previous.devices.discard(device_id)
            device.node = node_key
        keep = series.carry_over(device.values, device.defs, defs) if device.online else {}
        self._series += len(keep) - len(device.values)
        device.defs, device.values = defs, keep
        device.kind, device.labels = msg.kind, msg.labels
        device.online, device.born, device.last_seen = True, now, now
        device.died, device.death_reason = None, None
        node.devices.add(device_id)

    def _device_death(self, node: _Node, device_id: str, msg: p.DeviceDeath, now: float) -> None:
        device = self._devices.get(device_id)
        if device is not None and device.node == (node.kind, node.id):
            self._kill(device, now, msg.reason)

    # -- helpers --------------------------------------------------------------------------

    def _accept(
        self, metrics: Iterable[p.MetricDef], scope: series.Scope, who: str, now: float
    ) -> dict[str, SeriesDef]:
        defs, refused = series.accept(metrics, scope)
        if refused and self._log_limit.allow("refused", now):
            log.warning("%s: refused metric definitions: %s", who, "; ".join(refused[:5]))
        return defs

    def _store(self, owner: _Owner, samples: Iterable[p.Sample]) -> None:
        """Merge samples into ``owner.values`` (copy-on-write), enforcing definitions and the cap."""
        defs = owner.defs
        values: dict[SeriesKey, float] | None = None
        dropped = self._stats.dropped
        for sample in samples:
            definition = defs.get(sample.name)
            if definition is None:
                dropped["undeclared"] += 1
                continue
            key = definition.key(sample)
            if key is None:
                dropped["labels"] += 1
                continue
            current = owner.values if values is None else values
            if key not in current:
                if self._series >= self._max_series:
                    dropped["limit"] += 1
                    continue
                self._series += 1
            if values is None:
                values = dict(owner.values)
            values[key] = float(sample.value)
        if values is not None:
            owner.values = values

    def _kill(self, owner: _Owner, now: float, reason: str | None) -> None:
        if not owner.online:
            return
        self._series -= len(owner.values)
        owner.values = {}
        owner.online = False
        owner.died = now
        if isinstance(owner, _Device):
            owner.death_reason = reason

    def _forget(self, device_id: str) -> None:
        device = self._devices.pop(device_id, None)
        if device is not None:
            self._series -= len(device.values)

    # -- views ----------------------------------------------------------------------------

    @property
    def series(self) -> int:
        """Device and node sample series currently stored."""
        return self._series

    def node_online(self, kind: NodeKind, node: str) -> bool:
        """Whether ``node`` has a live session."""
        found = self._nodes.get((kind, node))
        return found is not None and found.online

    def snapshot(self, stats: StatsView) -> Snapshot:
        """A frozen view of everything; ``stats`` is taken by the caller, who adds the hand-off's counters."""
        nodes = tuple(
            NodeView(
                kind=n.kind,
                id=n.id,
                online=n.online,
                bd_seq=n.bd_seq,
                version=n.version,
                labels=n.labels,
                defs=n.defs,
                values=n.values,
                born=n.born,
                last_seen=n.last_seen,
                died=n.died,
                seq_gaps=n.seq_gaps,
                devices=len(n.devices),
            )
            for n in self._nodes.values()
        )
        devices = tuple(
            DeviceView(
                id=d.id,
                node=d.node[1],
                node_kind=d.node[0],
                kind=d.kind,
                online=d.online,
                labels=d.labels,
                defs=d.defs,
                values=d.values,
                born=d.born,
                last_seen=d.last_seen,
                died=d.died,
                death_reason=d.death_reason,
            )
            for d in self._devices.values()
        )
        return Snapshot(
            nodes=nodes,
            devices=devices,
            series=self._series,
            max_series=self._max_series,
            stats=stats,
            hub_id=self._hub_id,
        )
