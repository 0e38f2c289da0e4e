"""The hub's own counters, owned by the event loop, and their frozen copy for scrapes.

Every label value used here comes from a fixed vocabulary (verbs, statuses, reasons),
never from a topic or a payload, so these series stay bounded whatever nodes send.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from contract.topics import FROM_HUB, Verb

#: The ``verb`` label: node verbs, the hub's own STATE, and "unknown" for unparsable topics.
VERBS: tuple[str, ...] = (*(v.value for v in Verb if v not in FROM_HUB), "STATE", "unknown")
#: The ``status`` label of cl_hub_messages_total.
STATUSES: tuple[str, ...] = ("ok", "rejected", "historical", "late")
#: Reject reasons known up front (so their series exist at 0); the codec's reasons come first.
REJECT_REASONS: tuple[str, ...] = (
    "json",
    "schema",
    "topic",
    "too_large",
    "no_session",
    "not_owner",
    "overflow",
    "internal",
)
#: Why a sample was not stored.
DROP_REASONS: tuple[str, ...] = ("limit", "undeclared", "labels")


class Stats:
    """Mutable counters; touched only from the event loop thread."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.messages: Counter[tuple[str, str]] = Counter()
        self.rejected: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.seq_gaps = 0
        self.missing_messages = 0
        #: Messages that filled a seq gap within the reorder window (not lost after all).
        self.reordered = 0
        self.deaths_ignored = 0
        self.rebirths_requested = 0
        self.rebirths_suppressed = 0
        self.last_message: float | None = None
        self.mqtt_enabled = True
        self.mqtt_connected = False
        self.mqtt_connects = 0
        #: When the current disconnected spell began (start-up counts as disconnected).
        self.disconnected_since: float | None = started
        self.last_render_seconds = 0.0
        #: Seconds without a message, while connected, after which the hub calls itself silent.
        self.silent_after = 120.0
        #: Called on the event loop each time the link comes up (subscribed), e.g. to ask
        #: restored nodes for a rebirth.
        self.on_connect: list[Callable[[], None]] = []

    def count(self, verb: str, status: str) -> None:
        """Count one message by verb and status."""
        self.messages[(verb, status)] += 1

    def reject(self, verb: str, reason: str) -> None:
        """Count one rejected message."""
        self.messages[(verb, "rejected")] += 1
        self.rejected[reason] += 1

    def connection(self, connected: bool, now: float) -> None:
        """Record an MQTT connect or disconnect."""
        came_up = connected and not self.mqtt_connected
        if came_up:
            self.mqtt_connects += 1
            self.disconnected_since = None
        elif not connected and self.mqtt_connected:
            self.disconnected_since = now
        self.mqtt_connected = connected
        if came_up:
            for listener in self.on_connect:
                listener()

    def view(self, now: float, *, overflow: int = 0, backlog: int = 0) -> StatsView:
        """A frozen copy; ``overflow`` and ``backlog`` come from the thread hand-off."""
        rejected = Counter(self.rejected)
        if overflow:
            rejected["overflow"] += overflow
        messages = Counter(self.messages)
        if overflow:
            messages[("unknown", "rejected")] += overflow
        return StatsView(
            now=now,
            started=self.started,
            messages=MappingProxyType(dict(messages)),
            rejected=MappingProxyType(dict(rejected)),
            dropped=MappingProxyType(dict(self.dropped)),
            seq_gaps=self.seq_gaps,
            missing_messages=self.missing_messages,
            reordered=self.reordered,
            deaths_ignored=self.deaths_ignored,
            rebirths_requested=self.rebirths_requested,
            rebirths_suppressed=self.rebirths_suppressed,
            last_message=self.last_message,
            mqtt_enabled=self.mqtt_enabled,
            mqtt_connected=self.mqtt_connected,
            mqtt_connects=self.mqtt_connects,
            disconnected_since=self.disconnected_since,
            backlog=backlog,
            last_render_seconds=self.last_render_seconds,
            silent_after=self.silent_after,
        )


@dataclass(frozen=True, slots=True)
class StatsView:
    """Counters as they were at one instant; safe to read from a render thread."""

    now: float
    started: float
    messages: Mapping[tuple[str, str], int]
    rejected: Mapping[str, int]
    dropped: Mapping[str, int]
    seq_gaps: int
    missing_messages: int
    reordered: int
    deaths_ignored: int
    rebirths_requested: int
    rebirths_suppressed: int
    last_message: float | None
    mqtt_enabled: bool
    mqtt_connected: bool
    mqtt_connects: int
    disconnected_since: float | None
    backlog: int
    last_render_seconds: float
    silent_after: float = 120.0

    @property
    def last_message_age(self) -> float:
        """Seconds since the last message, or since start-up when none came yet.

        Counting from start-up lets a "connected but silent" alert fire on a hub that
        never received anything, which a missing series would not.
        """
        return max(0.0, self.now - (self.last_message if self.last_message is not None else self.started))

    @property
    def silent(self) -> bool:
        """Connected and subscribed, yet nothing arrived for ``silent_after`` seconds.

        The bridges' classic failure (mqtt2prometheus #60, Telegraf #6232) looks exactly
        like this, and so does a broker ACL or bridge that lost our topics.
        """
        return self.mqtt_enabled and self.mqtt_connected and self.last_message_age > self.silent_after

    @property
    def disconnected_for(self) -> float:
        """Seconds the MQTT link has been down (0 when connected)."""
        if self.mqtt_connected or self.disconnected_since is None:
            return 0.0
        return max(0.0, self.now - self.disconnected_since)

    @property
    def total_messages(self) -> int:
        """All messages received, whatever their status."""
        return sum(self.messages.values())
