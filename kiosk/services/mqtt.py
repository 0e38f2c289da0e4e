"""The kiosk's one network adapter: paho-mqtt 2 speaking contract v1.

Session rules (docs/contract.md): every CONNECT carries a Will = NodeDeath with a
fresh bdSeq (persisted across restarts); after CONNACK we subscribe to our REPLY
and CMD topics, the hub STATE and the four retained content scopes of our area
(``contract.topics.content_subscriptions``), then publish NodeBirth with seq 0 and
the same bdSeq. paho runs its network loop in its own thread; everything it reports is
re-emitted as Qt signals, which Qt queues onto the GUI thread, so the models and
the SQLite store are only ever touched from one thread.
"""

from __future__ import annotations

import logging
import os
import ssl
from pathlib import Path
from typing import Any

import msgspec
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from PySide6.QtCore import QObject, Signal, Slot

from contract import payloads as p
from contract.codec import decode_as, encode
from contract.errors import PayloadError
from contract.session import BdSeqCounter, SeqCounter
from contract.topics import (
    CONTENT_ROOT,
    CONTENT_SCOPES,
    HUB_STATE_TOPIC,
    NodeKind,
    Verb,
    content_subscriptions,
    node_topic,
)
from kiosk.config import MqttSection
from kiosk.services.store import now_ms

log = logging.getLogger("kiosk.mqtt")


def _read_bdseq(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


def content_scope(topic: str) -> tuple[str, str, str] | None:
    """(scope, code, kind) of a content topic, or None when ``topic`` is not one."""
    if not topic.startswith(CONTENT_ROOT + "/"):
        return None
    parts = topic[len(CONTENT_ROOT) + 1 :].split("/")
    if len(parts) == 2 and parts[0] == "all":
        return "all", "", parts[1]
    if len(parts) == 3 and parts[0] in CONTENT_SCOPES[1:]:
        return parts[0], parts[1], parts[2]
    return None


def _write_bdseq(path: Path, value: int) -> None:
    """Atomic and durable: a reused bdSeq could let a late Will kill the next session."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as fh:
        fh.write(str(value))
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


class MqttAdapter(QObject):
    """Connects, keeps the session, publishes what Sync hands it, reports what arrives."""

    linkChanged = Signal(bool)
    hubStateChanged = Signal(bool)
    replyReceived = Signal(object)  # p.Reply
    commandReceived = Signal(object)  # p.Command
    contentReceived = Signal(str, str, object)  # scope, area code ('' for all), p.Content
    published = Signal(int)  # mid acknowledged by the broker (PUBACK)
    # Raised on paho's thread, delivered on the GUI thread (queued connection).
    _rx = Signal(str, bytes)
    _link = Signal(bool)
    _puback = Signal(int)

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        cfg: MqttSection,
        node_id: str,
        bdseq_file: Path,
        birth_labels: dict[str, str],
        version: str,
        area: dict[str, str],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.content_filters = content_subscriptions(area["county"], area["township"], area["village"])
        self.cfg = cfg
        self.node = node_id
        self.bdseq_file = bdseq_file
        self.birth_labels = birth_labels
        self.version = version
        self.seq = SeqCounter()
        self.bdseq = BdSeqCounter(_read_bdseq(bdseq_file))
        self.connected = False
        self._stopped = False
        self._topic = {verb: node_topic(NodeKind.KIOSK, node_id, verb) for verb in Verb}
        self._client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"{node_id}",
            clean_session=True,  # store-and-forward lives in our SQLite outbox, not the broker
            protocol=paho.MQTTv311,
        )
        if cfg.username:
            password = cfg.password.get_secret_value() if cfg.password else None
            self._client.username_pw_set(cfg.username, password)
        if cfg.tls_ca:
            self._client.tls_set(ca_certs=str(cfg.tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self._client.reconnect_delay_set(1, 30)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._rx.connect(self._dispatch)
        self._link.connect(self._link_changed)
        self._puback.connect(self._acked)
        self._arm_will()

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho reconnects by itself with backoff."""
        self._client.connect_async(self.cfg.host, self.cfg.port, keepalive=self.cfg.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Clean shutdown: send our DEATH ourselves (a clean disconnect suppresses the Will)."""
        if self.connected:
            info = self._client.publish(
                self._topic[Verb.DEATH], encode(p.NodeDeath(ts=now_ms(), bd_seq=self.bdseq.value)), qos=1
            )
            try:
                info.wait_for_publish(timeout=2.0)
            except (RuntimeError, ValueError):
                log.warning("DEATH not acknowledged before disconnect")
        self._client.disconnect()
        self._client.loop_stop()
        # Whatever paho already queued for the GUI thread must not reach a closed store.
        self._stopped = True

    def _arm_will(self) -> None:
        bd = self.bdseq.advance()
        _write_bdseq(self.bdseq_file, bd)
        self._client.will_set(self._topic[Verb.DEATH], encode(p.NodeDeath(ts=now_ms(), bd_seq=bd)), qos=1)

    # -- paho thread ---------------------------------------------------------------

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        if rc.is_failure:
            log.warning("broker refused connection: %s", rc)
            return
        self._link.emit(True)

    def _on_disconnect(self, client: paho.Client, _u: Any, _f: Any, rc: Any, _p: Any = None) -> None:
        # The next CONNECT (paho's automatic reconnect) must carry a new bdSeq.
        self._arm_will()
        self._link.emit(False)

    def _on_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        self._rx.emit(msg.topic, bytes(msg.payload))

    def _on_publish(self, client: paho.Client, _u: Any, mid: int, _rc: Any, _p: Any = None) -> None:
        self._puback.emit(mid)

    # -- GUI thread ----------------------------------------------------------------

    @Slot(int)
    def _acked(self, mid: int) -> None:
        if not self._stopped:
            self.published.emit(mid)

    @Slot(bool)
    def _link_changed(self, up: bool) -> None:
        if self._stopped:
            return
        if up:
            self._client.subscribe(
                [
                    (self._topic[Verb.REPLY], 1),
                    (self._topic[Verb.CMD], 1),
                    (HUB_STATE_TOPIC, 1),
                    *((f, 1) for f in self.content_filters),
                ]
            )
            self.birth()
        self.connected = up
        self.linkChanged.emit(up)

    def birth(self) -> None:
        """Publish NodeBirth (seq 0, current bdSeq); also the answer to a ``rebirth`` command."""
        msg = p.NodeBirth(
            ts=now_ms(),
            seq=self.seq.birth(),
            bd_seq=self.bdseq.value,
            version=self.version,
            labels=self.birth_labels,
        )
        self._client.publish(self._topic[Verb.BIRTH], encode(msg), qos=1)

    @Slot(str, bytes)
    def _dispatch(self, topic: str, payload: bytes) -> None:
        if self._stopped:
            return
        try:
            if topic == self._topic[Verb.REPLY]:
                self.replyReceived.emit(decode_as(payload, p.Reply))
            elif topic == self._topic[Verb.CMD]:
                self.commandReceived.emit(decode_as(payload, p.Command))
            elif topic == HUB_STATE_TOPIC:
                self.hubStateChanged.emit(decode_as(payload, p.HubState).online)
            else:
                where = content_scope(topic)
                if where is None:
                    log.warning("ignored message on %s", topic)
                    return
                content = decode_as(payload, p.Content)
                if content.kind != where[2]:
                    log.warning("content of kind %s on %s; ignored", content.kind, topic)
                    return
                self.contentReceived.emit(where[0], where[1], content)
        except PayloadError as exc:
            # A broken hub message must never take the kiosk down; it is logged and dropped.
            log.warning("bad payload on %s: %s", topic, exc)

    def publish(self, verb: Verb, message: msgspec.Struct) -> int:
        """Publish one node message at QoS 1; returns paho's mid (for PUBACK tracking)."""
        info = self._client.publish(self._topic[verb], encode(message), qos=1)
        return int(info.mid)

    def next_seq(self) -> int:
        """The per-node seq for the next message."""
        return self.seq.take()
