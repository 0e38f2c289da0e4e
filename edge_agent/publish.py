"""MQTT on paho-mqtt 2: paho's network thread does the I/O, asyncio gets the results.

paho runs its own loop in a thread (``loop_start``) and calls our callbacks
there; every callback hands its result to the event loop with
``call_soon_threadsafe`` and does nothing else that touches agent state, so
nothing blocks the event loop and no agent state is shared between threads.
The exceptions are the Will and the bdSeq, which must change *between*
connections, that is inside paho's thread, before it reconnects.

The publish API is deliberately narrow: ``publish(topic, struct) -> bool``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from paho.mqtt import client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from contract.codec import decode_as, encode
from contract.errors import PayloadError
from contract.payloads import Command, NodeDeath
from contract.session import BdSeqCounter
from contract.topics import parse_topic, qos_for
from edge_agent.config import MqttSection

log = logging.getLogger(__name__)

#: paho holds unacknowledged QoS 1 messages in memory; bound them (the outbox holds the rest).
MAX_INFLIGHT = 100
MAX_QUEUED = 1000


class BdSeqStore:
    """The last bdSeq used, in a small JSON file, so that a restart uses the next one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._warned = False

    def load(self) -> int | None:
        """The stored bdSeq, or None when there is none (or it is unreadable)."""
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))["bd_seq"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return value if isinstance(value, int) and 0 <= value <= 255 else None

    def save(self, value: int) -> None:
        """Store atomically (write, then rename) so a crash never leaves half a file."""
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"bd_seq": value}), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            if not self._warned:
                log.warning("cannot store bdSeq in %s (%s); restarts may reuse it", self.path, exc.strerror)
                self._warned = True


class MqttPublisher:
    """One paho client: Will = node DEATH with this connection's bdSeq, auto-reconnect."""

    def __init__(
        self,
        config: MqttSection,
        node_id: str,
        *,
        death_topic: str,
        cmd_topic: str,
        store: BdSeqStore,
        wall: Callable[[], int],
        on_connected: Callable[[int], None],
        on_disconnected: Callable[[], None],
        on_command: Callable[[Command], None],
    ) -> None:
        self._config = config
        self._death_topic = death_topic
        self._cmd_topic = cmd_topic
        self._store = store
        self._wall = wall
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._on_command = on_command
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.connected = False
        """Event-loop view of the connection (updated by callbacks via the loop)."""
        start = store.load()
        # No stored value: start so that the first connection uses bdSeq 0.
        self._bd = BdSeqCounter(255 if start is None else start)
        self._will_bd = 0
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.client_id or node_id,
            clean_session=True,
            protocol=paho.MQTTv311,
        )
        self.client.enable_logger(logging.getLogger("edge_agent.paho"))
        self.client.max_inflight_messages_set(MAX_INFLIGHT)
        self.client.max_queued_messages_set(MAX_QUEUED)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        if config.username is not None:
            password = config.password.get_secret_value() if config.password is not None else None
            self.client.username_pw_set(config.username, password)
        if config.ca_file is not None:
            self.client.tls_set(ca_certs=str(config.ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.client.on_connect = self._paho_connect
        self.client.on_disconnect = self._paho_disconnect
        self.client.on_message = self._paho_message

    @property
    def bd_seq(self) -> int:
        """bdSeq of the Will of the current (or next) connection."""
        return self._will_bd

    def _death_payload(self) -> bytes:
        return encode(NodeDeath(ts=self._wall(), bd_seq=self._will_bd))

    def _arm_will(self) -> None:
        """Next bdSeq, stored, and set as the Will of the next CONNECT (paho thread or before start)."""
        self._will_bd = self._bd.advance()
        self._store.save(self._will_bd)
        self.client.will_set(self._death_topic, self._death_payload(), qos=1, retain=False)

    def start(self) -> None:
        """Connect in paho's thread (retrying until the broker answers); never blocks."""
        self._loop = asyncio.get_running_loop()
        self._arm_will()
        self.client.connect_async(self._config.host, self._config.port, keepalive=self._config.keepalive)
        self.client.loop_start()

    def _to_loop(self, callback: Callable[..., None], *args: Any) -> None:
        if self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            # The loop is closing: the agent is shutting down and no longer cares.
            log.debug("event loop closed; dropped %s", getattr(callback, "__name__", callback))

    # paho's thread

    def _paho_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, properties: Any
    ) -> None:
        del userdata, flags, properties
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        # Subscribed before anything is published, so a CMD sent in answer to our BIRTH is not missed.
        client.subscribe(self._cmd_topic, qos=1)
        self._to_loop(self._loop_connected, self._will_bd)

    def _paho_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode, properties: Any
    ) -> None:
        del client, userdata, flags, properties
        if not self._stopping:
            log.warning("disconnected from broker (%s); reconnecting", reason)
            # The broker has published (or will publish) the old Will; the next session needs a new bdSeq.
            self._arm_will()
        self._to_loop(self._loop_disconnected)

    def _paho_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        del client, userdata
        try:
            command = decode_as(bytes(message.payload), Command)
        except PayloadError as exc:
            log.warning("ignoring bad command on %s: %s", message.topic, exc)
            return
        self._to_loop(self._on_command, command)

    # event loop

    def _loop_connected(self, bd_seq: int) -> None:
        self.connected = True
        log.info("connected to %s:%d (bdSeq %d)", self._config.host, self._config.port, bd_seq)
        self._on_connected(bd_seq)

    def _loop_disconnected(self) -> None:
        if self.connected:
            self.connected = False
            self._on_disconnected()

    def publish(self, topic: str, message: msgspec.Struct) -> bool:
        """Hand ``message`` to paho if connected; False (nothing queued) when not."""
        if not self.connected:
            return False
        info = self.client.publish(topic, encode(message), qos=qos_for(parse_topic(topic).verb))
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            log.debug("publish to %s not accepted: %s", topic, paho.error_string(info.rc))
            return False
        return True

    async def stop(self, ack_wait: float = 3.0) -> None:
        """Publish the node DEATH (waiting for its PUBACK), disconnect, stop paho's thread."""
        self._stopping = True
        if self.connected:
            info = self.client.publish(self._death_topic, self._death_payload(), qos=1)
            try:
                await asyncio.to_thread(info.wait_for_publish, ack_wait)
            except (RuntimeError, ValueError) as exc:
                log.warning("node DEATH not confirmed by the broker: %s", exc)
        self.connected = False
        if self.client.is_connected():
            self.client.disconnect()  # a clean DISCONNECT: the broker discards the Will
        # Also ends paho's reconnect loop when the broker was unreachable.
        await asyncio.to_thread(self.client.loop_stop)
