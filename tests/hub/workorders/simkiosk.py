"""Simulated kiosks for load tests: paho clients that behave like kiosk/services (mqtt + sync).

Each keeps its unanswered requests in memory (the real kiosk: in SQLite) and re-sends them
with the same id until the hub answers ``stored`` or ``duplicate``; it re-subscribes and
sends a BIRTH on every connection, on a ``rebirth`` command and when the hub's STATE comes
back online (Sparkplug's rule, so a hub that missed a BIRTH during a broker restart learns
the session), and records every Reply and receipt_status it gets.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from contract import codec
from contract import payloads as p
from contract.session import BdSeqCounter, SeqCounter
from contract.topics import HUB_STATE_TOPIC, NodeKind, Verb, node_topic


@dataclass
class SimKiosk:
    host: str
    port: int
    node: str
    pending: dict[str, p.Request] = field(default_factory=dict)
    replies: dict[str, p.Reply] = field(default_factory=dict)
    statuses: dict[str, tuple[str, str]] = field(default_factory=dict)
    births: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.seq = SeqCounter()
        self.bdseq = BdSeqCounter(0)
        self.connected = threading.Event()
        self._topic = {v: node_topic(NodeKind.KIOSK, self.node, v) for v in Verb}
        self._client = self._make_client()

    def _make_client(self) -> paho.Client:
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=self.node, clean_session=True
        )
        client.reconnect_delay_set(0.2, 2)
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._arm(client)
        return client

    def _arm(self, client: paho.Client) -> None:
        death = p.NodeDeath(ts=int(time.time() * 1000), bd_seq=self.bdseq.advance())
        client.will_set(self._topic[Verb.DEATH], codec.encode(death), qos=1)

    def start(self) -> None:
        self._client.connect_async(self.host, self.port, keepalive=5)
        self._client.loop_start()

    def stop(self) -> None:
        """A clean stop: DEATH, then disconnect (as kiosk/services/mqtt.py does)."""
        if self.connected.is_set():
            death = p.NodeDeath(ts=int(time.time() * 1000), bd_seq=self.bdseq.value)
            self._client.publish(self._topic[Verb.DEATH], codec.encode(death), qos=1).wait_for_publish(5)
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()
        self._client = self._make_client()

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            return
        client.subscribe([(self._topic[Verb.REPLY], 1), (self._topic[Verb.CMD], 1), (HUB_STATE_TOPIC, 1)])
        self._birth(client)
        self.connected.set()
        self.flush()

    def _birth(self, client: paho.Client) -> None:
        birth = p.NodeBirth(
            ts=int(time.time() * 1000), seq=self.seq.birth(), bd_seq=self.bdseq.value, version="sim"
        )
        client.publish(self._topic[Verb.BIRTH], codec.encode(birth), qos=1)
        self.births += 1

    def _on_disconnect(self, client: paho.Client, *_: Any) -> None:
        self.connected.clear()
        self._arm(client)

    def _on_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        if msg.topic == self._topic[Verb.REPLY]:
            reply = codec.decode_as(bytes(msg.payload), p.Reply)
            with self._lock:
                self.replies[reply.id] = reply
                if reply.status in ("stored", "duplicate", "rejected"):
                    self.pending.pop(reply.id, None)
        elif msg.topic == HUB_STATE_TOPIC:
            # Sparkplug: when the host comes (back) online, every node births again, so a hub that
            # reconnected after a broker restart learns the sessions it missed.
            if codec.decode_as(bytes(msg.payload), p.HubState).online and not msg.retain:
                self._birth(client)
        elif msg.topic == self._topic[Verb.CMD]:
            cmd = codec.decode_as(bytes(msg.payload), p.Command)
            if cmd.command == "rebirth":  # e.g. the hub missed our BIRTH while it reconnected
                self._birth(client)
            elif cmd.command == "receipt_status":
                with self._lock:
                    self.statuses[str(cmd.args["receipt"])] = (
                        str(cmd.args["status"]),
                        str(cmd.args["status_notes"]),
                    )

    def file(self, body: p.RequestBody) -> str:
        rid = f"{self.node[-8:].replace('-', 'X')}{next(self._ids):08d}"
        with self._lock:
            self.pending[rid] = p.Request(ts=int(time.time() * 1000), seq=0, id=rid, body=body)
        self._send(rid)
        return rid

    def file_as(self, rid: str, body: p.RequestBody) -> str:
        """Send ``body`` under a chosen client id (again: a replay the hub must de-duplicate)."""
        with self._lock:
            self.pending[rid] = p.Request(ts=int(time.time() * 1000), seq=0, id=rid, body=body)
        self._send(rid)
        return rid

    def _send(self, rid: str) -> None:
        with self._lock:
            req = self.pending.get(rid)
        if req is None or not self.connected.is_set():
            return
        again = p.Request(ts=req.ts, seq=self.seq.take(), id=req.id, historical=req.historical, body=req.body)
        self._client.publish(self._topic[Verb.REQ], codec.encode(again), qos=1)

    def flush(self) -> None:
        """Re-send everything unanswered (the outbox's retry timer)."""
        with self._lock:
            ids = list(self.pending)
        for rid in ids:
            self._send(rid)

    def unanswered(self) -> int:
        with self._lock:
            return len(self.pending)
