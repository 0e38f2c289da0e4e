"""The hub's MQTT connection: paho-mqtt 2 in its own network thread.

The bridges this replaces failed on reconnects: a client that is "connected" but no
longer subscribed (mqtt2prometheus #60, Telegraf #6232). So the hub uses a clean
session, and in ``on_connect`` *every* time it subscribes afresh and re-announces its
retained STATE. The Will is re-armed before each connect so its timestamp matches the
STATE birth that follows, as Sparkplug's primary-host rules want.

Callbacks here run in paho's thread; they only call paho and hand off to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from contract import codec
from contract.payloads import HubState
from contract.topics import HUB_STATE_TOPIC, HUB_SUBSCRIPTIONS
from hub.clock import Clock
from hub.config import HubConfig
from hub.ingest.handoff import Handoff, Raw

log = logging.getLogger(__name__)

_make = tuple.__new__

#: QoS of the hub's STATE and subscriptions (Sparkplug: STATE is QoS 1 and retained).
STATE_QOS = 1


class MqttLink:
    """Connects, subscribes, keeps the hub's STATE right, and hands messages to the loop."""

    def __init__(
        self,
        config: HubConfig,
        handoff: Handoff,
        *,
        loop: asyncio.AbstractEventLoop,
        clock: Clock,
        on_connection: Callable[[bool, float], None],
    ) -> None:
        self._config = config.mqtt
        self._handoff = handoff
        self._put = handoff.put
        self._loop = loop
        self._clock = clock
        self._on_connection = on_connection
        self._stopping = False
        self._session_ts = 0
        self._subscribe_mid: int | None = None
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=config.client_id,
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        if self._config.username is not None:
            password = self._config.password.get_secret_value() if self._config.password else None
            client.username_pw_set(self._config.username, password)
        client.reconnect_delay_set(self._config.reconnect_min_delay, self._config.reconnect_max_delay)
        client.on_pre_connect = self._on_pre_connect
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        self._client = client

    # -- lifecycle (event loop) -----------------------------------------------------------

    def start(self) -> None:
        """Start the network thread; it connects, and reconnects, by itself."""
        self._client.connect_async(self._config.host, self._config.port, self._config.keepalive)
        self._client.loop_start()

    async def stop(self, publish_wait: float = 5.0) -> None:
        """Publish STATE offline (a clean DISCONNECT suppresses the Will), then disconnect."""
        self._stopping = True
        if self._client.is_connected():
            info = self._client.publish(
                HUB_STATE_TOPIC, self._state(online=False, ts=self._now_ms()), qos=STATE_QOS, retain=True
            )
            try:
                await asyncio.to_thread(info.wait_for_publish, publish_wait)
            except (RuntimeError, ValueError) as exc:
                log.warning("could not publish offline STATE before stopping: %s", exc)
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self._handoff.close()

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> None:
        """Queue a message for the broker (paho's publish is thread-safe and does not block)."""
        self._client.publish(topic, payload, qos=qos, retain=retain)

    def reassert_online(self, state: HubState, retained: bool) -> None:
        """Someone (a late Will, a stray client) set our STATE offline: put it back.

        The broker marks a message retained only when it is delivered because we just
        subscribed (MQTT 3.1.1 §3.3.1.3): that is a previous run's STATE, which our own
        online STATE, published right after subscribing, replaces anyway. A live offline
        STATE has just overwritten the retained one, whatever its timestamp says.
        """
        if self._stopping or not self._client.is_connected():
            return
        if retained:
            log.debug("found a previous offline STATE (ts %d) on subscribing", state.ts)
            return
        log.warning("hub STATE was set offline while running (ts %d); re-publishing online", state.ts)
        self._publish_online()

    # -- paho callbacks (network thread) --------------------------------------------------

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        self._session_ts = self._now_ms()
        client.will_set(
            HUB_STATE_TOPIC, self._state(online=False, ts=self._session_ts), qos=STATE_QOS, retain=True
        )

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            log.warning(
                "broker %s:%d refused the connection: %s", self._config.host, self._config.port, reason_code
            )
            return
        if flags.session_present:
            log.warning("broker kept a session although the hub asked for a clean one")
        _, self._subscribe_mid = client.subscribe([(topic, STATE_QOS) for topic in HUB_SUBSCRIPTIONS])
        self._publish_online()

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Any,
    ) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [
            topic for topic, code in zip(HUB_SUBSCRIPTIONS, reason_codes, strict=False) if code.is_failure
        ]
        if refused:
            # Connected but deaf is the failure mode to avoid: stay "disconnected" so that
            # /healthz turns 503 after the grace period and someone fixes the broker's ACL.
            log.error("broker refused the subscriptions %s; check its ACL", ", ".join(refused))
            return
        log.info("connected to %s:%d and subscribed", self._config.host, self._config.port)
        self._notify(True)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if not self._stopping:
            log.warning(
                "disconnected from %s:%d (%s); reconnecting",
                self._config.host,
                self._config.port,
                reason_code,
            )
        self._notify(False)

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        log.debug("connection to %s:%d failed; retrying", self._config.host, self._config.port)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = ""  # fails topic parsing on the loop, where it is counted
        payload = message.payload
        if type(payload) is not bytes:
            payload = bytes(payload)
        # tuple.__new__ skips the NamedTuple's generated __new__, a Python frame per message.
        self._put(_make(Raw, (topic, payload, self._clock(), bool(message.retain))))

    # -- helpers --------------------------------------------------------------------------

    def _publish_online(self) -> None:
        # Sparkplug: the birth carries the timestamp of the Will armed for this connection.
        self._client.publish(
            HUB_STATE_TOPIC, self._state(online=True, ts=self._session_ts), qos=STATE_QOS, retain=True
        )

    def _notify(self, connected: bool) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: we are shutting down
            self._loop.call_soon_threadsafe(self._on_connection, connected, self._clock())

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    @staticmethod
    def _state(*, online: bool, ts: int) -> bytes:
        return codec.encode(HubState(online=online, ts=ts))
