"""The fleet's session model (Sparkplug B's, per contract.session).

Who is online, what each node and device declared in its BIRTH, and latest values.

Rules, and why:

- Only a DEATH makes values stale; silence means unchanged (no TTL guessing).
- A node DEATH counts only if its bdSeq equals the current BIRTH's: a Will from an older
  connection can arrive after the new BIRTH and must not kill the fresh session. A device
  DEATH that arrives late (its seq was missing) and is older than the device's BIRTH is
  ignored for the same reason.
- A node DEATH takes all of the node's devices offline; a device DEATH takes one.
- A node BIRTH with a new bdSeq starts a new session, so the old session's devices are
  offline until they are born again; a rebirth (same bdSeq) keeps them.
- DATA, device BIRTH and device DEATH need a live node session. Without one the hub has
  no metric definitions to type the values by, so it rejects them and asks for a rebirth.
- A seq gap opens a reorder window (:mod:`hub.ingest.reorder`); only numbers still missing
  when it expires count as lost and make the hub ask for a rebirth. A late DATA that is
  older than what was applied is counted (``late``) but never rolls values back.
- Historical (replayed) messages are counted but never touch live values.
- Device ids are taken as fleet-wide unique: a device BIRTH from another node moves the
  device there, and the old owner can no longer speak for it.
- After a hub restart the inventory restores what was online as *unknown* (``pending``),
  not offline: a node that simply has not re-born yet is no outage. Only a DEATH, or no
  BIRTH within the restore grace, turns it offline. That is what keeps a restart free of
  spurious offline transitions.

All methods run on the event loop thread, and every change of online state is told to
``listeners``. The read side (queries, inventory records, the snapshot: the only way out
for threads) is inherited from :class:`hub.state_views.FleetViews`; the nodes and devices
themselves are in :mod:`hub.state_owner`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contract import payloads as p
from contract.topics import NodeKind, Topic
from hub import series
from hub.ingest.reorder import Arrival, SeqWindow
from hub.ratelimit import RateLimiter
from hub.series import SeriesDef
from hub.snapshot import DeviceRecord, NodeRecord, Transition
from hub.state_owner import Device, Node, NodeKey, Owner, state_of
from hub.state_views import FleetViews
from hub.stats import Stats

__all__ = ["HISTORICAL", "LATE", "OK", "FleetState", "NodeKey", "Outcome"]  # NodeKey: callers' import

log = logging.getLogger(__name__)

#: Distinct metric definitions shared between BIRTHs before the table starts over.
_INTERN_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one decoded message."""

    status: str
    """``ok``, ``rejected``, ``historical`` or ``late`` (the status label of cl_hub_messages_total)."""
    reason: str | None = None
    rebirth: bool = False
    """The node's stream is broken (messages lost, or no session): ask it to rebirth."""


OK = Outcome("ok")
HISTORICAL = Outcome("historical")
LATE = Outcome("late")


class FleetState(FleetViews):
    """Nodes, their devices and latest values, driven by decoded contract messages."""

    def __init__(
        self,
        stats: Stats,
        *,
        max_series: int,
        hub_id: str = "",
        reorder_timeout: float = 0.0,
        restore_grace: float = 60.0,
        freeze_gc: bool = False,
    ) -> None:
        super().__init__(max_series=max_series, hub_id=hub_id, freeze_gc=freeze_gc)
        self._stats = stats
        self._reorder_timeout = reorder_timeout
        self._restore_grace = restore_grace
        self._gaps: set[NodeKey] = set()
        self._restore_deadline: float | None = None
        self._log_limit = RateLimiter(interval=60.0)
        self._interned: dict[SeriesDef, SeriesDef] = {}
        self.listeners: list[Callable[[Transition], None]] = []
        """Told of every change of a node's or device's online state, on the event loop."""

    # -- messages -------------------------------------------------------------------------

    def apply(self, topic: Topic, msg: p.Message, now: float) -> Outcome:
        """Apply one decoded node message received at ``now`` (host time, seconds)."""
        key = (topic.kind, topic.node)
        data = type(msg) is p.Data  # DATA is nearly all traffic: skip the other checks for it
        if not data:
            if isinstance(msg, p.NodeBirth):
                return self._node_birth(key, msg, now)
            if isinstance(msg, p.NodeDeath):
                return self._node_death(key, msg, now)
            if not isinstance(msg, p.DeviceBirth | p.DeviceDeath | p.Alarm | p.Event | p.Request):
                return OK  # hub-to-node verbs: not subscribed, nothing to do if one slips in
        node = self._nodes.get(key)
        if node is None or not node.online:
            # Alarms, events and requests mean something without a session; the rest do not.
            if isinstance(msg, p.Alarm | p.Event | p.Request):
                return Outcome("historical" if msg.historical else "ok", rebirth=True)
            return Outcome("rejected", "no_session", rebirth=True)
        node.last_seen = now
        window = node.seq
        arrival, lost = window.observe(msg.seq, now)  # type: ignore[union-attr]  # not a NodeDeath
        if arrival is not Arrival.IN_ORDER:
            if arrival is Arrival.GAP:
                self._gaps.add(key)
            elif arrival is Arrival.FILLED:
                self._stats.reordered += 1
        if window.open:
            lost += window.expire(now)
        if lost:
            self._lost(node, lost)
        if data:
            outcome = self._data(node, topic, msg, now, arrival)  # type: ignore[arg-type]  # checked above
        else:
            outcome = self._in_session(node, topic, msg, now, arrival)
        if lost and not outcome.rebirth:
            return Outcome(outcome.status, outcome.reason, rebirth=True)
        return outcome

    def _data(self, node: Node, topic: Topic, msg: p.Data, now: float, arrival: Arrival) -> Outcome:
        if msg.historical:
            return HISTORICAL
        if topic.device is None:
            owner: Owner = node
        else:
            device = self._devices.get(topic.device)
            if device is None or not device.online:
                return Outcome("rejected", "no_session", rebirth=True)
            if device.node != (node.kind, node.id):
                return Outcome("rejected", "not_owner")
            device.last_seen = now
            owner = device
        ts = msg.ts
        if ts < owner.data_ts and (arrival is Arrival.FILLED or arrival is Arrival.DUPLICATE):
            return LATE  # older than what is shown: applying it would roll values back
        owner.data_ts = max(owner.data_ts, ts)
        # Merge copy-on-write, enforcing definitions and the series cap.
        self._series += owner.merge(msg.metrics, self._stats.dropped, self._max_series - self._series)
        return OK

    def _in_session(self, node: Node, topic: Topic, msg: p.Message, now: float, arrival: Arrival) -> Outcome:
        if isinstance(msg, p.DeviceBirth) and topic.device is not None:
            self._device_birth(node, topic.device, msg, now)
            return OK
        if isinstance(msg, p.DeviceDeath) and topic.device is not None:
            late = arrival is Arrival.FILLED or arrival is Arrival.DUPLICATE
            return self._device_death(node, topic.device, msg, now, late)
        if isinstance(msg, p.Alarm | p.Event | p.Request) and msg.historical:
            return HISTORICAL
        return OK

    def _node_birth(self, key: NodeKey, msg: p.NodeBirth, now: float) -> Outcome:
        defs = self._accept(msg.metrics, "node", f"node {key[1]}", now)
        node = self._nodes.get(key)
        previous = "new" if node is None else state_of(node)
        if node is None:
            node = self._nodes[key] = Node(kind=key[0], id=key[1], first_seen=now)
            node.seq = SeqWindow(self._reorder_timeout)
        # A restored node coming back with its persisted bdSeq never went away: a rebirth.
        same_session = (node.online or node.pending) and node.bd_seq == msg.bd_seq
        if not same_session:
            for device_id in node.devices:
                self._kill(self._devices[device_id], now, "new_session")
        keep = series.carry_over(node.values, node.defs, defs) if node.online else {}
        self._series += len(keep) - len(node.values)
        node.defs, node.values = defs, keep
        node.bd_seq, node.version, node.labels = msg.bd_seq, msg.version, msg.labels
        was_online = node.online
        node.online, node.pending, node.born, node.last_seen, node.died = True, False, now, now, None
        node.seq.reset(msg.seq)
        self._gaps.discard(key)
        listed = set(msg.devices)
        for device_id in node.devices - listed:
            self._forget(device_id, now)
        node.devices &= listed
        if not was_online:
            self._emit(now, "node", node.id, node.kind.value, node.id, "online", previous, "birth")
        return OK

    def _node_death(self, key: NodeKey, msg: p.NodeDeath, now: float) -> Outcome:
        node = self._nodes.get(key)
        if node is None or not (node.online or node.pending):
            return OK
        if msg.bd_seq != node.bd_seq:
            self._stats.deaths_ignored += 1
            return OK
        self._kill(node, now, "death")
        for device_id in node.devices:
            self._kill(self._devices[device_id], now, "node_death")
        return OK

    def _device_birth(self, node: Node, device_id: str, msg: p.DeviceBirth, now: float) -> None:
        defs = self._accept(msg.metrics, "device", f"device {device_id}", now)
        node_key = (node.kind, node.id)
        device = self._devices.get(device_id)
        before = "new" if device is None else state_of(device)
        if device is None:
            device = self._devices[device_id] = Device(id=device_id, node=node_key, first_seen=now)
        elif device.node != node_key:
            log.info("device %s moved from node %s to node %s", device_id, device.node[1], node.id)
            self._kill(device, now, "moved")
            previous = self._nodes.get(device.node)
            if previous is not None:
                previous.devices.discard(device_id)
            device.node = node_key
        if before == "online" and not device.online:
            before = "offline"  # it was just moved away from its old node
        keep = series.carry_over(device.values, device.defs, defs) if device.online else {}
        self._series += len(keep) - len(device.values)
        device.defs, device.values = defs, keep
        device.kind, device.labels = msg.kind, msg.labels
        was_online = device.online
        device.online, device.pending, device.born, device.last_seen = True, False, now, now
        device.died, device.death_reason, device.birth_ts = None, None, msg.ts
        node.devices.add(device_id)
        if not was_online:
            self._emit(now, "device", device_id, device.kind, node.id, "online", before, "birth")

    def _device_death(
        self, node: Node, device_id: str, msg: p.DeviceDeath, now: float, late: bool
    ) -> Outcome:
        device = self._devices.get(device_id)
        if device is None or device.node != (node.kind, node.id):
            return OK
        if late and msg.ts <= device.birth_ts:
            self._stats.deaths_ignored += 1  # overtaken by the BIRTH that followed it
            return OK
        self._kill(device, now, msg.reason)
        return OK

    # -- timers and the inventory -----------------------------------------------------------

    def tick(self, now: float) -> list[NodeKey]:
        """Expire reorder windows and the restore grace; returns nodes to ask for a rebirth."""
        rebirth: list[NodeKey] = []
        for key in list(self._gaps):
            node = self._nodes.get(key)
            if node is None or not node.seq.open:
                self._gaps.discard(key)
                continue
            lost = node.seq.expire(now)
            if lost:
                self._lost(node, lost)
                rebirth.append(key)
                self._gaps.discard(key)
        if self._restore_deadline is not None and now >= self._restore_deadline:
            self._restore_deadline = None
            self._expire_pending(now)
        return rebirth

    def restore(self, nodes: Iterable[NodeRecord], devices: Iterable[DeviceRecord], now: float) -> int:
        """Load the inventory of a previous run; what was online becomes unknown until it re-births.

        Returns how many nodes and devices are pending. Call before ingest starts.
        """
        pending = 0
        for rec in nodes:
            key = (NodeKind(rec.kind), rec.id)
            node = Node(kind=key[0], id=rec.id, bd_seq=rec.bd_seq, version=rec.version)
            node.seq = SeqWindow(self._reorder_timeout)
            node.labels, node.pending = dict(rec.labels), rec.online
            node.first_seen, node.last_seen, node.born, node.died = (
                rec.first_seen,
                rec.last_seen,
                rec.born,
                rec.died,
            )
            node.devices = set(rec.devices)
            self._nodes[key] = node
            pending += rec.online
        for dev in devices:
            node_key = (NodeKind(dev.node_kind), dev.node)
            owner = self._nodes.get(node_key)
            device = Device(id=dev.id, node=node_key, kind=dev.kind, death_reason=dev.death_reason)
            device.labels = dict(dev.labels)
            device.pending = dev.online and owner is not None and owner.pending
            device.first_seen, device.last_seen, device.born, device.died = (
                dev.first_seen,
                dev.last_seen,
                dev.born,
                dev.died,
            )
            if owner is not None:
                owner.devices.add(dev.id)
            self._devices[dev.id] = device
            pending += device.pending
        if pending:
            self._restore_deadline = now + self._restore_grace
        return pending

    def forget_node(self, kind: NodeKind, node_id: str, now: float) -> bool:
        """Drop an offline node and its devices from the model (an admin's decision)."""
        node = self._nodes.get((kind, node_id))
        if node is None:
            return False
        for device_id in list(node.devices):
            self._forget(device_id, now)
        self._series -= len(node.values)
        del self._nodes[(kind, node_id)]
        self._gaps.discard((kind, node_id))
        self._emit(now, "node", node_id, kind.value, node_id, "removed", state_of(node), "forgotten")
        return True

    # -- helpers --------------------------------------------------------------------------

    def _lost(self, node: Node, lost: int) -> None:
        node.seq_gaps += 1
        self._stats.seq_gaps += 1
        self._stats.missing_messages += lost

    def _accept(
        self, metrics: Iterable[p.MetricDef], scope: series.Scope, who: str, now: float
    ) -> dict[str, SeriesDef]:
        defs, refused = series.accept(metrics, scope)
        if refused and self._log_limit.allow("refused", now):
            log.warning("%s: refused metric definitions: %s", who, "; ".join(refused[:5]))
        # Thousands of devices declare the same few definitions. Sharing one object per
        # distinct definition keeps the cyclic GC's full pass short: at 620k series it
        # walked 620k SeriesDefs, ~200 ms during which the event loop stood still.
        interned = self._interned
        if len(interned) > _INTERN_LIMIT:
            interned.clear()
        for name, definition in defs.items():
            defs[name] = interned.setdefault(definition, definition)
        return defs

    def _kill(self, owner: Owner, now: float, reason: str) -> None:
        if owner.pending and reason in ("new_session", "moved"):
            return  # not known to be down: it stays unknown until its own BIRTH or DEATH
        if not owner.online and not owner.pending:
            return
        previous = state_of(owner)
        self._series -= len(owner.values)
        owner.values = {}
        owner.online = owner.pending = False
        owner.died = now
        if isinstance(owner, Device):
            owner.death_reason = reason
            self._emit(now, "device", owner.id, owner.kind, owner.node[1], "offline", previous, reason)
        elif isinstance(owner, Node):
            self._emit(now, "node", owner.id, owner.kind.value, owner.id, "offline", previous, reason)

    def _forget(self, device_id: str, now: float) -> None:
        device = self._devices.pop(device_id, None)
        if device is not None:
            self._series -= len(device.values)
            previous = state_of(device)
            self._emit(now, "device", device_id, device.kind, device.node[1], "removed", previous, "unlisted")

    def _expire_pending(self, now: float) -> None:
        for node in self._nodes.values():
            if node.pending:
                self._kill(node, now, "not_reborn")
        for device in self._devices.values():
            if device.pending:
                self._kill(device, now, "not_reborn")

    def _emit(self, *fields: str | float) -> None:
        # (ts, entity, id, kind, node, state, previous, reason): Transition's fields in order.
        transition = Transition(*fields)  # type: ignore[arg-type]
        for listener in self.listeners:
            listener(transition)
