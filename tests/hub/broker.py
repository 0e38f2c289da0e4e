"""Talking to the real broker from tests: a paho node client and a retained-STATE reader."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract import codec
from contract.payloads import HubState
from contract.topics import HUB_STATE_TOPIC
from tests.support.services import Mosquitto


class NodeClient:
    """A paho client standing in for an edge agent: publishes at QoS 1 and records what it receives."""

    def __init__(self, broker: Mosquitto, client_id: str, subscribe: tuple[str, ...] = ()) -> None:
        self.received: list[tuple[str, bytes, bool]] = []
        self._client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.max_inflight_messages_set(200)
        self._client.on_message = self._on_message
        self._topics = subscribe
        self._subscribed = asyncio.get_running_loop().create_future()
        self._loop = asyncio.get_running_loop()
        self._client.on_subscribe = self._on_subscribe
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    async def ready(self) -> None:
        if self._topics:
            self._client.subscribe([(t, 1) for t in self._topics])
            await asyncio.wait_for(self._subscribed, 5)

    def _on_subscribe(self, *args: Any) -> None:
        self._loop.call_soon_threadsafe(lambda: self._subscribed.done() or self._subscribed.set_result(None))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.received.append((message.topic, bytes(message.payload), bool(message.retain)))

    async def send(self, *messages: tuple[str, bytes], retain: bool = False) -> None:
        infos = [self._client.publish(topic, payload, qos=1, retain=retain) for topic, payload in messages]
        for info in infos:
            await asyncio.to_thread(info.wait_for_publish, 10)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


async def retained_state(broker: Mosquitto) -> HubState | None:
    """The retained hub STATE as a newcomer would see it now (None if there is none)."""
    client = NodeClient(broker, f"state-reader-{time.monotonic_ns()}", (HUB_STATE_TOPIC,))
    try:
        await client.ready()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            retained = [payload for _, payload, retain in client.received if retain]
            if retained:
                return codec.decode_as(retained[0], HubState)
            await asyncio.sleep(0.02)
        return None
    finally:
        client.close()


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(AssertionError):
            last = check()
            if inspect.isawaitable(last):
                last = await last
            if last:
                return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not reached within {timeout} s (last: {last!r})")
