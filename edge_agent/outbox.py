"""Store-and-forward policy: what is kept, in what form, and what goes first when space runs out.

Every DATA, ALARM and EVENT is written here before it is sent and deleted only
when the broker acknowledges it (PUBACK): a message is never in memory alone.
BIRTH and DEATH are not kept: each new session re-births from current state.

Bounds (config ``outbox``):

* ``max_bytes``: the default is sized for 24 hours of every target's DATA at
  3 KiB per compressed message (a gNB DATA of ~70 samples is ~5 KiB of JSON,
  about 1 KiB compressed), never below 64 MiB. Zabbix's proxy keeps 1 hour by
  default (snmp.md 2.1).
* ``max_age``: telemetry older than this is dropped (72 h by default);
  ``alarm_max_age`` for alarms and events (7 days).

When over ``max_bytes``, the oldest telemetry goes first; alarms and events go
only when no telemetry is left. Every drop is counted by priority and reason.
Payloads are compressed (zlib level 1: ~5x on this JSON for ~20 us a message).
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field

import msgspec

from contract.payloads import Alarm, Data, Event
from edge_agent.clock import Clock
from edge_agent.store import Store

log = logging.getLogger(__name__)

TELEMETRY = 0
ALARMS = 1
Stored = Data | Alarm | Event
_DECODERS: dict[str, msgspec.json.Decoder[Stored]] = {
    "DATA": msgspec.json.Decoder(Data),
    "ALARM": msgspec.json.Decoder(Alarm),
    "EVENT": msgspec.json.Decoder(Event),
}
_ENCODER = msgspec.json.Encoder()
#: Checking ages costs a query; once a minute of agent time is plenty for an hours-long bound.
AGE_CHECK_EVERY = 60.0


def default_max_bytes(targets: int, interval: float) -> int:
    """24 h of DATA at 3 KiB per message, plus the node's own, at least 64 MiB."""
    per_day = (targets + 1) * (86_400 / interval) * 3 * 1024
    return max(64 * 1024 * 1024, int(per_day))


@dataclass(slots=True)
class DropCounts:
    """Messages dropped by the bounds, by priority and reason."""

    by_reason: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, priority: int, reason: str, count: int) -> None:
        key = ("telemetry" if priority == TELEMETRY else "alarm", reason)
        self.by_reason[key] = self.by_reason.get(key, 0) + count

    @property
    def total(self) -> int:
        return sum(self.by_reason.values())


class Outbox:
    """Bounded, compressed, ordered storage of messages not yet acknowledged."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        max_bytes: int,
        max_age: float = 72 * 3600.0,
        alarm_max_age: float = 7 * 86400.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.alarm_max_age = alarm_max_age
        self.drops = DropCounts()
        self.generation = 0
        """Bumped whenever rows are dropped, so readers re-read instead of sending dropped rows."""
        self.dropped_ids: list[int] = []
        """Ids dropped since the delivery last looked (it forgets queued copies)."""
        self._age_checked = clock.now()

    @property
    def depth(self) -> int:
        """Messages held."""
        return self.store.rows

    @property
    def size(self) -> int:
        """Bytes held (payload, topic and a per-row overhead)."""
        return self.store.bytes

    def oldest_ts(self) -> int | None:
        """Timestamp (ms) of the oldest message held."""
        got = self.store.oldest()
        return None if got is None else got[1]

    def add(self, topic: str, message: Stored) -> int:
        """Keep ``message`` until it is acknowledged; returns its id."""
        priority = TELEMETRY if isinstance(message, Data) else ALARMS
        payload = zlib.compress(_ENCODER.encode(message), 1)
        row_id = self.store.append(topic, priority, message.ts, payload)
        if self.store.bytes > self.max_bytes:
            self._trim_bytes()
        if self.clock.now() - self._age_checked >= AGE_CHECK_EVERY:
            self.trim_age()
        return row_id

    @staticmethod
    def decode(topic: str, payload: bytes) -> Stored:
        """A stored payload back as its struct (the verb in the topic names the type)."""
        decoded: Stored = _DECODERS[topic.split("/")[4]].decode(zlib.decompress(payload))
        return decoded

    def acknowledged(self, ids: list[int]) -> None:
        """The broker has these: delete them."""
        self.store.delete(ids)

    def _trim_bytes(self) -> None:
        # Drop in batches of ~1 % of the rows, so a full outbox is not trimmed on every insert.
        batch = max(1, self.store.rows // 100)
        for priority in (TELEMETRY, ALARMS):
            while self.store.bytes > self.max_bytes:
                ids = self.store.drop_oldest(priority, count=batch)
                if not ids:
                    break
                self._dropped(priority, "bytes", ids)
            if self.store.bytes <= self.max_bytes:
                return

    def trim_age(self) -> None:
        """Drop messages older than their age bound."""
        self._age_checked = self.clock.now()
        now_ms = self.clock.wall_ms()
        for priority, age in ((TELEMETRY, self.max_age), (ALARMS, self.alarm_max_age)):
            ids = self.store.drop_oldest(priority, before_ts=now_ms - int(age * 1000))
            if ids:
                self._dropped(priority, "age", ids)

    def _dropped(self, priority: int, reason: str, ids: list[int]) -> None:
        self.drops.add(priority, reason, len(ids))
        self.generation += 1
        self.dropped_ids += ids
        log.warning(
            "outbox: dropped %d %s message(s) (%s bound)",
            len(ids),
            "telemetry" if priority == TELEMETRY else "alarm/event",
            reason,
        )
