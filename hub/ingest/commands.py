"""Commands from the hub to nodes; for now, rebirth requests.

A node whose stream the hub cannot follow (a seq gap, or DATA without a BIRTH, as after
a hub restart) is asked to send its BIRTHs again. One broken node can trigger this on
every message, so requests are rate-limited per node.
"""

from __future__ import annotations

import logging
from typing import Protocol

from contract import codec
from contract.payloads import Command
from contract.topics import NodeKind, Verb, node_topic, qos_for
from hub.ratelimit import RateLimiter
from hub.stats import Stats

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Whatever sends messages to the broker (the MQTT link, or a test double)."""

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> None:
        """Queue one message."""


class DiscardPublisher:
    """Stands in for the MQTT link when the app runs without a broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> None:
        """Keep the last few messages for inspection, send nothing."""
        del qos, retain
        self.sent.append((topic, payload))
        del self.sent[:-100]


class Commands:
    """Sends commands to nodes through a :class:`Publisher`."""

    def __init__(self, publisher: Publisher, stats: Stats, *, rebirth_min_interval: float) -> None:
        self.publisher = publisher
        self._stats = stats
        self._limit = RateLimiter(interval=rebirth_min_interval)

    def rebirth(self, kind: NodeKind, node: str, now: float) -> bool:
        """Ask ``node`` to rebirth unless it was asked within the interval; True if sent."""
        if not self._limit.allow(f"{kind.value}/{node}", now):
            self._stats.rebirths_suppressed += 1
            return False
        topic = node_topic(kind, node, Verb.CMD)
        payload = codec.encode(Command(ts=int(now * 1000), command="rebirth"))
        self.publisher.publish(topic, payload, qos=qos_for(Verb.CMD))
        self._stats.rebirths_requested += 1
        log.info("asked %s %s to rebirth", kind.value, node)
        return True
