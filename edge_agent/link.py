"""The MQTT connection on paho-mqtt 2: a fresh paho client for every connection.

paho runs its network loop in a thread (``loop_start``); its callbacks only
hand results to the event loop with ``call_soon_threadsafe``. Each client
lives for one connection: when it drops, its thread is told to stop (from
inside its own callback, which paho allows) and the event loop builds the next
client with a new Will. That is how delivery is taken over from paho: a dead
client's in-flight copies die with it instead of being resent with a stale
``seq`` before the next BIRTH; the outbox still holds every unacknowledged row.

Until the first connection succeeds, one client keeps retrying by itself
(paho's ``retry_first_connection``), so an agent that boots with the broker
away polls from its local config and fills the outbox meanwhile.

Every CONNECT carries a Will: the node DEATH with a bdSeq that advances per
client and is stored in ``<state_dir>/<node_id>.state.json`` (atomic rename),
so a restart continues from the stored value.
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

from paho.mqtt import client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from contract.session import BdSeqCounter
from edge_agent.config import MqttSection

log = logging.getLogger(__name__)


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


class MqttLink:
    """Connects, reconnects with a new client and Will each time, publishes, subscribes."""

    def __init__(
        self,
        config: MqttSection,
        client_id: str,
        *,
        will_topic: str,
        will_payload: Callable[[int], bytes],
        subscriptions: list[str],
        store: BdSeqStore,
        on_connected: Callable[[int], None],
        on_disconnected: Callable[[], None],
        on_message: Callable[[str, bytes, bool], None],
        on_acked: Callable[[int], None],
    ) -> None:
        self._config = config
        self._client_id = client_id
        self._will_topic = will_topic
        self._will_payload = will_payload
        self._subscriptions = subscriptions
        self._store = store
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._on_message = on_message
        self._on_acked = on_acked
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: paho.Client | None = None
        self._generation = 0
        self._stopping = False
        self._retry: asyncio.TimerHandle | None = None
        start = store.load()
        # No stored value: start so that the first connection uses bdSeq 0.
        self._bd = BdSeqCounter(255 if start is None else start)
        self.bd_seq = 0
        """bdSeq of the current (or next) connection's Will."""
        self.connected = False
        self.connects = 0

    def start(self) -> None:
        """Begin connecting (in paho's thread); never blocks."""
        self._loop = asyncio.get_running_loop()
        self._new_client()

    def _new_client(self) -> None:
        self._retry = None
        if self._stopping:
            return
        self._generation += 1
        generation = self._generation
        self.bd_seq = self._bd.advance()
        self._store.save(self.bd_seq)
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=self._client_id, clean_session=True, protocol=paho.MQTTv311
        )
        client.enable_logger(logging.getLogger("edge_agent.paho"))
        # Our window is smaller; these only keep paho from refusing what we hand it.
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=1, max_delay=self._config.reconnect_max_delay)
        if self._config.username is not None:
            password = self._config.password.get_secret_value() if self._config.password is not None else None
            client.username_pw_set(self._config.username, password)
        if self._config.ca_file is not None:
            client.tls_set(ca_certs=str(self._config.ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.will_set(self._will_topic, self._will_payload(self.bd_seq), qos=1, retain=False)
        client.on_connect = lambda c, _u, _f, reason, _p: self._paho_connect(c, reason, generation)
        client.on_disconnect = lambda c, _u, _f, reason, _p: self._paho_disconnect(c, reason, generation)
        client.on_message = lambda _c, _u, m: self._to_loop(
            self._message, generation, m.topic, bytes(m.payload), bool(m.retain)
        )
        client.on_publish = lambda _c, _u, mid, _r, _p: self._to_loop(self._acked, generation, mid)
        self._client = client
        client.connect_async(self._config.host, self._config.port, keepalive=self._config.keepalive)
        client.loop_start()

    def _to_loop(self, callback: Callable[..., None], *args: Any) -> None:
        if self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            log.debug("event loop closed; dropped %s", getattr(callback, "__name__", callback))

    # paho's thread

    def _paho_connect(self, client: paho.Client, reason: ReasonCode, generation: int) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        # Subscribed before anything is published, so a CMD answering our BIRTH is not missed.
        for topic in self._subscriptions:
            client.subscribe(topic, qos=1)
        self._to_loop(self._connected, generation)

    def _paho_disconnect(self, client: paho.Client, reason: ReasonCode, generation: int) -> None:
        # This client is done: stop its thread (allowed from inside it) so it never reconnects
        # and never resends its in-flight messages; the event loop makes the next client.
        client.loop_stop()
        self._to_loop(self._disconnected, generation, str(reason))

    # event loop

    def _connected(self, generation: int) -> None:
        if generation != self._generation or self._stopping:
            return
        self.connected = True
        self.connects += 1
        log.info("connected to %s:%d (bdSeq %d)", self._config.host, self._config.port, self.bd_seq)
        self._on_connected(self.bd_seq)

    def _disconnected(self, generation: int, reason: str) -> None:
        if generation != self._generation:
            return
        was = self.connected
        self.connected = False
        if self._stopping:
            return
        log.warning("disconnected from broker (%s); reconnecting with a new session", reason)
        if was:
            self._on_disconnected()
        assert self._loop is not None  # set in start()
        self._retry = self._loop.call_later(1.0, self._new_client)

    def _message(self, generation: int, topic: str, payload: bytes, retained: bool) -> None:
        if generation == self._generation:
            self._on_message(topic, payload, retained)

    def _acked(self, generation: int, mid: int) -> None:
        if generation == self._generation:
            self._on_acked(mid)

    def publish(self, topic: str, payload: bytes) -> int | None:
        """Hand a QoS 1 message to paho; its message id, or None when not connected."""
        client = self._client
        if client is None or not self.connected:
            return None
        info = client.publish(topic, payload, qos=1)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            log.debug("publish to %s not accepted: %s", topic, paho.error_string(info.rc))
            return None
        return info.mid

    async def stop(self, last_words: tuple[str, bytes] | None, ack_wait: float = 3.0) -> None:
        """Publish ``last_words`` (the node DEATH) awaiting its PUBACK, disconnect, stop paho."""
        self._stopping = True
        if self._retry is not None:
            self._retry.cancel()
        client = self._client
        if client is None:
            return
        if self.connected and last_words is not None:
            info = client.publish(last_words[0], last_words[1], qos=1)
            try:
                await asyncio.to_thread(info.wait_for_publish, ack_wait)
            except (RuntimeError, ValueError) as exc:
                log.warning("node DEATH not confirmed by the broker: %s", exc)
        self.connected = False
        if client.is_connected():
            client.disconnect()  # a clean DISCONNECT: the broker discards the Will
        await asyncio.to_thread(client.loop_stop)
