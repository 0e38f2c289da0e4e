"""What happens to messages while the broker is unreachable: for now, a small memory buffer.

The seam is ``publish(topic, struct) -> bool`` on both sides, so a SQLite outbox
(bounded by bytes and age, ordered replay) can replace :class:`MemoryOutbox`
without touching the node session or the MQTT publisher.

Policy of this buffer: only the newest DATA per topic (that is, per device, plus
the node's own) is kept, at most ``max_topics`` of them, oldest topic evicted
first. BIRTH/DEATH are not kept because every reconnect re-births from current
state; EVENTs (reboots) that happen while offline are dropped and counted.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

import msgspec

from contract.payloads import Data


class Publisher(Protocol):
    """Anything that takes a message for a topic; False means it was not sent now."""

    def publish(self, topic: str, message: msgspec.Struct) -> bool:
        """Send (or accept responsibility for) ``message``."""
        ...


class MemoryOutbox:
    """Passes messages to ``downstream``; keeps the newest DATA per topic when it refuses."""

    def __init__(self, downstream: Publisher, max_topics: int = 10_000) -> None:
        self._downstream = downstream
        self._max_topics = max_topics
        self._held: OrderedDict[str, Data] = OrderedDict()
        self.dropped = 0
        """Messages lost: non-DATA while offline, and DATA evicted by the bound."""
        self.superseded = 0
        """DATA replaced by a newer cycle of the same device while offline."""

    @property
    def depth(self) -> int:
        """DATA messages held for replay."""
        return len(self._held)

    def publish(self, topic: str, message: msgspec.Struct) -> bool:
        """Send now, or hold it (DATA) / drop it (everything else)."""
        if self._downstream.publish(topic, message):
            return True
        if not isinstance(message, Data):
            self.dropped += 1
            return False
        if self._held.pop(topic, None) is not None:
            self.superseded += 1
        self._held[topic] = message
        while len(self._held) > self._max_topics:
            self._held.popitem(last=False)
            self.dropped += 1
        return False

    def take(self) -> list[tuple[str, Data]]:
        """Everything held, oldest topic first; the buffer is empty afterwards."""
        items = list(self._held.items())
        self._held.clear()
        return items
