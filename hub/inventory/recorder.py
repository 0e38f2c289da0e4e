"""Keeps the inventory database in step with the session model, and restores it at start-up.

Ingest must never wait for the disk, so nothing is written per message: transitions and
BIRTHs mark nodes and devices dirty, and a background task writes what is dirty once a
second in one transaction (rows are read from the state on the event loop, written on
the store's writer thread). Last-seen times change with every message; they are written
for everyone every ``last_seen_interval`` seconds instead, so after a crash they are at
most that stale.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from contract.payloads import Message
from contract.topics import NodeKind, Topic
from hub.clock import Clock
from hub.ingest.commands import Commands
from hub.metrics.dbtimer import DbTimer
from hub.snapshot import DeviceRecord, NodeRecord, Transition
from hub.state import FleetState, NodeKey
from hub.store import StoreError

log = logging.getLogger(__name__)

#: Transitions older than this are deleted (hourly) so that the table stays bounded.
TRANSITION_RETENTION_S = 90 * 86400


class Inventory:
    """The state's recorder: a transition listener, a BIRTH sink and a periodic flush."""

    def __init__(
        self,
        db: DbTimer,
        state: FleetState,
        clock: Clock,
        *,
        flush_interval: float = 1.0,
        last_seen_interval: float = 30.0,
    ) -> None:
        self._db = db
        self._state = state
        self._clock = clock
        self._flush_interval = flush_interval
        self._last_seen_interval = last_seen_interval
        self._dirty_nodes: set[NodeKey] = set()
        self._dirty_devices: set[str] = set()
        self._transitions: list[Transition] = []
        self._last_touch = 0.0
        self._last_prune = 0.0
        self.restored = 0
        """Nodes and devices restored as pending at start-up."""

    # -- hooks on the event loop ----------------------------------------------------------

    def transition(self, t: Transition) -> None:
        """A state listener: remember the change and the row to rewrite."""
        self._transitions.append(t)
        if t.entity == "node":
            self._dirty_nodes.add((NodeKind(t.kind), t.id))
        else:
            self._dirty_devices.add(t.id)

    def accept(self, topic: Topic, message: Message, received: float) -> None:
        """A BIRTH sink: a rebirth changes no state but may change version or labels."""
        del message, received
        if topic.device is None:
            self._dirty_nodes.add((topic.kind, topic.node))
        else:
            self._dirty_devices.add(topic.device)

    # -- start-up ---------------------------------------------------------------------------

    async def restore(self) -> int:
        """Load the last known inventory into the state; returns how many entries are pending."""
        nodes, devices = await self._db.read(_load)
        self.restored = self._state.restore(nodes, devices, self._clock())
        if nodes or devices:
            log.info(
                "inventory: restored %d nodes and %d devices (%d awaiting their rebirth)",
                len(nodes),
                len(devices),
                self.restored,
            )
        return self.restored

    def rebirth_pending(self, commands: Commands) -> int:
        """Ask every restored node that has not re-born yet for a rebirth; returns how many were asked."""
        now = self._clock()
        asked = 0
        for kind, node in self._state.pending_nodes():
            asked += commands.rebirth(kind, node, now)
        if asked:
            log.info("asked %d restored nodes to rebirth", asked)
        return asked

    # -- writing ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Flush forever (cancelled at shutdown, after which :meth:`flush` runs once more)."""
        while True:
            await asyncio.sleep(self._flush_interval)
            try:
                await self.flush()
            except StoreError as exc:
                log.error("inventory: %s; retrying", exc)  # noqa: TRY400 - the store error says it all

    async def flush(self, *, touch: bool | None = None) -> None:
        """Write dirty rows and pending transitions; also last-seen times when due (or ``touch``)."""
        now = self._clock()
        if touch is None:
            touch = now - self._last_touch >= self._last_seen_interval
        prune = now - self._last_prune >= 3600
        if not (self._dirty_nodes or self._dirty_devices or self._transitions or touch or prune):
            return
        node_keys, device_ids = self._dirty_nodes, self._dirty_devices
        self._dirty_nodes, self._dirty_devices = set(), set()
        transitions, self._transitions = self._transitions, []
        nodes = [(key, self._state.node_record(key)) for key in node_keys]
        devices = [(ident, self._state.device_record(ident)) for ident in device_ids]
        seen = self._state.last_seen() if touch else None
        try:
            await self._db.write(
                lambda db: _write(db, nodes, devices, transitions, seen=seen, prune_at=now if prune else None)
            )
        except StoreError:
            # Put it all back: the next flush tries again with whatever changed since.
            self._dirty_nodes |= node_keys
            self._dirty_devices |= device_ids
            self._transitions[:0] = transitions
            raise
        if touch:
            self._last_touch = now
        if prune:
            self._last_prune = now


def _load(db: sqlite_utils.Database) -> tuple[list[NodeRecord], list[DeviceRecord]]:
    nodes = [
        NodeRecord(
            r["kind"], r["id"], bool(r["online"]), r["bd_seq"], r["version"], json.loads(r["labels"]),
            r["first_seen"], r["last_seen"] or 0.0, r["born"] or 0.0, r["died"],
            tuple(json.loads(r["devices"])),
        )
        for r in db["nodes"].rows
    ]  # fmt: skip
    devices = [
        DeviceRecord(
            r["id"], r["node_kind"], r["node"], r["kind"], bool(r["online"]), json.loads(r["labels"]),
            r["first_seen"], r["last_seen"] or 0.0, r["born"] or 0.0, r["died"], r["death_reason"],
        )
        for r in db["devices"].rows
    ]  # fmt: skip
    return nodes, devices


def _write(
    db: sqlite_utils.Database,
    nodes: Iterable[tuple[NodeKey, NodeRecord | None]],
    devices: Iterable[tuple[str, DeviceRecord | None]],
    transitions: list[Transition],
    *,
    seen: tuple[list[tuple[float, str, str]], list[tuple[float, str]]] | None,
    prune_at: float | None,
) -> None:
    conn = db.conn
    for (kind, ident), node in nodes:
        if node is None:
            conn.execute("DELETE FROM nodes WHERE kind = ? AND id = ?", (kind.value, ident))
            continue
        conn.execute(
            "INSERT OR REPLACE INTO nodes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                node.kind, node.id, int(node.online), node.bd_seq, node.version, _json(node.labels),
                _json(node.devices), node.first_seen, node.last_seen, node.born, node.died,
            ),
        )  # fmt: skip
        if node.version:
            conn.execute(
                "INSERT INTO versions VALUES (?,?,?,?,?) ON CONFLICT (kind, node, version) "
                "DO UPDATE SET last_seen = excluded.last_seen",
                (node.kind, node.id, node.version, node.born or node.first_seen, node.last_seen),
            )
    for ident, device in devices:
        if device is None:
            conn.execute("DELETE FROM devices WHERE id = ?", (ident,))
            continue
        conn.execute(
            "INSERT OR REPLACE INTO devices VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                device.id, device.node_kind, device.node, device.kind, int(device.online),
                _json(device.labels), device.first_seen, device.last_seen, device.born, device.died,
                device.death_reason,
            ),
        )  # fmt: skip
    conn.executemany(
        "INSERT INTO transitions (ts, entity, id, kind, node, state, previous, reason) "
        "VALUES (?,?,?,?,?,?,?,?)",
        transitions,
    )
    if seen is not None:
        node_seen, device_seen = seen
        conn.executemany("UPDATE nodes SET last_seen = ? WHERE kind = ? AND id = ?", node_seen)
        conn.executemany("UPDATE devices SET last_seen = ? WHERE id = ?", device_seen)
    if prune_at is not None:
        conn.execute("DELETE FROM transitions WHERE ts < ?", (prune_at - TRANSITION_RETENTION_S,))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
