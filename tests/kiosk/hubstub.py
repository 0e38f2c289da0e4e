"""A small stand-in for the hub, over a real Mosquitto, for kiosk tests.

This is a seam we own, not the real hub (hub/ is built in parallel): it speaks
contract v1 exactly as docs/contract.md describes the hub side - stores each
Request id once, adopts ``Appeal.receipt`` when it is free (else assigns its own and
says so in the Reply), answers ``stored``/``duplicate``, applies ``Withdraw`` to this
node's own requests, answers receipt queries with ``result = {receipt, status,
status_notes, updated}``, pushes CMD ``receipt_status`` and publishes retained
Content. ``answering=False`` makes it a hub that receives but never replies.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from contract import payloads as p
from contract.codec import decode, encode
from contract.topics import NodeKind, Verb, content_topic, node_topic


@dataclass
class HubStub:
    host: str
    port: int
    answering: bool = True
    requests: list[tuple[str, p.Request]] = field(default_factory=list)
    messages: list[tuple[str, Any]] = field(default_factory=list)
    stored: dict[str, str] = field(default_factory=dict)  # request id -> receipt
    status: dict[str, str] = field(default_factory=dict)  # receipt -> status
    taken: set[str] = field(default_factory=set)  # receipt codes already in use at the "hub"
    withdrawn: set[str] = field(default_factory=set)  # request ids withdrawn
    refuse_withdraw: str = ""  # when set, every Withdraw is rejected with this detail
    adopt: bool = True  # False: every kiosk code counts as taken, the hub assigns its own

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="hub-stub")
        self._client.on_message = self._on_message
        self._born: set[str] = set()  # nodes whose BIRTH this connection has seen
        self._client.on_connect = self._on_connect
        self._client.connect(self.host, self.port)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: paho.Client, *_: Any) -> None:
        with self._lock:
            self._born.clear()
        client.subscribe("cl/v1/kiosk/#", 1)

    def _on_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        try:
            topic, message = decode(msg.topic, bytes(msg.payload))
        except Exception:
            return
        if topic.verb in (Verb.REPLY, Verb.CMD):
            return
        with self._lock:
            self.messages.append((topic.verb.value, message))
            if isinstance(message, p.Request):
                self.requests.append((topic.node, message))
            unborn = topic.verb is not Verb.BIRTH and topic.node not in self._born
            if topic.verb is Verb.BIRTH:
                self._born.add(topic.node)
        if unborn:
            # As the hub does: a node heard from without a BIRTH on this connection (it was
            # published while we were reconnecting) is asked to rebirth.
            rebirth = p.Command(ts=int(time.time() * 1000), command="rebirth", args={})
            client.publish(node_topic(NodeKind.KIOSK, topic.node, Verb.CMD), encode(rebirth), qos=1)
        if isinstance(message, p.Request) and self.answering:
            self._answer(topic.node, message)

    def _answer(self, node: str, req: p.Request) -> None:
        reply_topic = node_topic(NodeKind.KIOSK, node, Verb.REPLY)
        now = int(time.time() * 1000)
        if isinstance(req.body, p.ReceiptQuery):
            status = self.status.get(req.body.receipt)
            result: dict[str, str | int | float | bool | None] = (
                {"receipt": req.body.receipt, "status": status, "status_notes": "", "updated": now}
                if status
                else {}
            )
            reply = p.Reply(ts=now, id=req.id, status="result", result=result)
        elif isinstance(req.body, p.Withdraw):
            with self._lock:
                known = req.body.target_id in self.stored
                if known and not self.refuse_withdraw:
                    self.withdrawn.add(req.body.target_id)
                    self.status[self.stored[req.body.target_id]] = "withdrawn"
            if known and not self.refuse_withdraw:
                reply = p.Reply(ts=now, id=req.id, status="stored")
            else:
                detail = self.refuse_withdraw or "unknown request"
                reply = p.Reply(ts=now, id=req.id, status="rejected", detail=detail)
        else:
            with self._lock:
                dup = req.id in self.stored
                if not dup:
                    wanted = req.body.receipt if isinstance(req.body, p.Appeal) else None
                    if wanted and self.adopt and wanted not in self.taken:
                        receipt = wanted
                    else:
                        receipt = f"BZ{next(self._numbers):05d}"
                    self.taken.add(receipt)
                    self.stored[req.id] = receipt
                    self.status[receipt] = "received"
                receipt = self.stored[req.id]
            reply = p.Reply(ts=now, id=req.id, status="duplicate" if dup else "stored", receipt=receipt)
        self._client.publish(reply_topic, encode(reply), qos=1)

    def set_status(self, node: str, receipt: str, status: str, notes: str = "") -> None:
        """A handler changed a work order: update and push CMD receipt_status."""
        self.status[receipt] = status
        now = int(time.time() * 1000)
        cmd = p.Command(
            ts=now,
            command="receipt_status",
            args={"receipt": receipt, "status": status, "status_notes": notes, "updated": now},
        )
        self._client.publish(node_topic(NodeKind.KIOSK, node, Verb.CMD), encode(cmd), qos=1)

    def publish_state(self, online: bool) -> None:
        """The retained hub STATE."""
        self._client.publish(
            "cl/v1/hub/STATE",
            encode(p.HubState(online=online, ts=int(time.time() * 1000))),
            qos=1,
            retain=True,
        )

    def publish_content(
        self,
        kind: str,
        version: str,
        body: dict[str, Any],
        scope: str = "all",
        code: str | None = None,
        *,
        withdrawn: bool = False,
        ts: int | None = None,
    ) -> None:
        """Retained Content on ``content_topic(kind, scope, code)``."""
        message = p.Content(
            ts=ts or int(time.time() * 1000),
            version=version,
            kind=kind,  # type: ignore[arg-type]
            body=body,
            withdrawn=withdrawn,
        )
        info = self._client.publish(content_topic(kind, scope, code), encode(message), qos=1, retain=True)
        info.wait_for_publish(timeout=5)

    def of(self, verb: str) -> list[Any]:
        with self._lock:
            return [m for v, m in self.messages if v == verb]

    def ids(self) -> list[str]:
        with self._lock:
            return [r.id for _, r in self.requests]
