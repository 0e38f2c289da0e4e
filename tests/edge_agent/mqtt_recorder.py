"""A paho subscriber that records everything a node publishes, decoded with the contract codec."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from paho.mqtt import client as paho
from paho.mqtt.enums import CallbackAPIVersion

from contract.codec import decode, encode
from contract.topics import Topic

T = TypeVar("T")


@dataclass(frozen=True)
class Received:
    topic: Topic
    message: msgspec.Struct
    at: float


class MqttRecorder:
    """Subscribes to ``cl/v1/agent/<node>/#`` (again after every reconnect)."""

    def __init__(self, host: str, port: int, node: str) -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._subscribed = threading.Event()
        self.errors: list[str] = []
        self.pattern = f"cl/v1/agent/{node}/#"
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"recorder-{node}", clean_session=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *_: self._subscribed.clear()
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.connect_async(host, port, keepalive=10)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            self.close()
            msg = f"recorder could not subscribe at {host}:{port}"
            raise RuntimeError(msg)

    def _on_connect(self, client: paho.Client, *_: Any) -> None:
        self._subscribed.clear()
        client.subscribe(self.pattern, qos=1)

    def _on_subscribe(self, *_: Any) -> None:
        self._subscribed.set()

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        del client, userdata
        if message.topic.endswith("/CMD"):
            return
        try:
            topic, decoded = decode(message.topic, bytes(message.payload))
        except Exception as exc:  # a test failure, kept for the assertion
            self.errors.append(f"{message.topic}: {exc}")
            return
        with self._lock:
            self._messages.append(Received(topic, decoded, time.monotonic()))

    def wait_subscribed(self, timeout: float = 10.0) -> bool:
        return self._subscribed.wait(timeout)

    def messages(self, kind: type[T] | None = None, device: str | None = "*") -> list[tuple[Topic, T]]:
        """Messages so far, optionally of one struct type and one device (None: node level)."""
        with self._lock:
            items = list(self._messages)
        return [
            (r.topic, r.message)  # type: ignore[misc]
            for r in items
            if (kind is None or isinstance(r.message, kind)) and (device == "*" or r.topic.device == device)
        ]

    def all(self) -> list[tuple[Topic, msgspec.Struct]]:
        """Every message so far, in arrival order."""
        return [(r.topic, r.message) for r in self._snapshot()]

    def first(self, kind: type[T], device: str | None) -> T | None:
        """The first message of ``kind`` for ``device`` (None: node level), if any."""
        found = self.messages(kind, device)
        return found[0][1] if found else None

    async def wait_for(self, what: str, check: Callable[[], T | None], timeout: float = 10.0) -> T:
        """Poll ``check`` until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                seen = [(str(r.topic), type(r.message).__name__) for r in self._snapshot()][-20:]
                msg = f"{what} not seen within {timeout} s; last messages: {seen}; errors: {self.errors}"
                raise AssertionError(msg)
            await asyncio.sleep(0.05)

    def _snapshot(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def send(self, topic: str, message: msgspec.Struct) -> None:
        self.client.publish(topic, encode(message), qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
