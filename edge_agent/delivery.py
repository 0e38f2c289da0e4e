"""Moving outbox rows to the broker: live first, backlog replayed in order at a bounded rate.

We, not paho, decide what is (re)sent. paho keeps its own in-flight copies and
would resend them after a reconnect with the old ``seq``, before the new
BIRTH; so each connection gets a fresh paho client (:mod:`edge_agent.link`),
and anything not acknowledged simply stays in the outbox for the next session.

Within a session (connected, and the hub's STATE online):

* rows created during the session are *live*: sent at once, in order, with
  ``historical: false``;
* rows older than the session are the *backlog*: replayed oldest first with
  ``historical: true``, at most ``replay_rate`` per second of agent time, and
  only into in-flight slots that live messages leave free, so live data stays
  current while the backlog drains;
* at most ``window`` messages are unacknowledged at once (flow control);
* a PUBACK deletes the row. A row acknowledged in one session and re-sent in
  the next (the PUBACK was lost with the connection) reaches the hub twice
  with the same ``ts``; the hub de-duplicates on (node, device, ts).

``seq`` is stamped when a message is handed to the wire, so it runs in wire order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from edge_agent.clock import Clock
from edge_agent.outbox import Outbox, Stored
from edge_agent.store import Row

log = logging.getLogger(__name__)

#: Sends an encoded message; returns the MQTT message id, or None when it was not accepted.
Wire = Callable[[str, Stored], int | None]
_READ_BATCH = 64


@dataclass(slots=True)
class DeliveryStats:
    """Numbers for the agent's own metrics."""

    sent_live: int = 0
    sent_replay: int = 0
    acked: int = 0
    replay_lag_s: float = 0.0
    """How far behind the replay is: now minus the timestamp of the oldest backlog row not yet sent."""


class Delivery:
    """Feeds the wire from the outbox; see the module docstring."""

    def __init__(
        self,
        outbox: Outbox,
        clock: Clock,
        *,
        stamp: Callable[[Stored, bool], Stored],
        window: int = 50,
        replay_rate: float = 50.0,
    ) -> None:
        self.outbox = outbox
        self.clock = clock
        self._stamp = stamp
        self.window = window
        self.replay_rate = replay_rate
        self.stats = DeliveryStats()
        self._wire: Wire | None = None
        self._live: OrderedDict[int, tuple[str, Stored]] = OrderedDict()
        self._inflight: dict[int, int] = {}
        self._floor = 0
        self._cursor = 0
        self._batch: deque[Row] = deque()
        self._batch_generation = -1
        self._backlog_done = True
        self._tokens = 0.0
        self._tokens_at = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._acked: list[int] = []
        self._flush_scheduled = False

    @property
    def online(self) -> bool:
        """Whether a session is up and messages flow."""
        return self._wire is not None

    @property
    def inflight(self) -> int:
        """Messages sent and not yet acknowledged."""
        return len(self._inflight)

    def submit(self, topic: str, message: Stored) -> None:
        """Store ``message``; send it now if a session is up."""
        row_id = self.outbox.add(topic, message)
        self._forget_dropped()
        if self._wire is not None:
            self._live[row_id] = (topic, message)
            self.pump()

    def start(self, wire: Wire) -> None:
        """A session began (after the births): everything stored so far is backlog."""
        self._wire = wire
        self._inflight.clear()
        self._live.clear()
        self._floor = self.outbox.store.last_id + 1
        self._cursor = 0
        self._batch.clear()
        self._backlog_done = False
        self._tokens, self._tokens_at = min(self.window, self.replay_rate), self.clock.now()
        self.pump()

    def stop(self) -> None:
        """The session ended: unacknowledged rows stay stored for the next one."""
        self._wire = None
        self._inflight.clear()
        self._live.clear()
        self._batch.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def acked(self, mid: int) -> None:
        """The broker acknowledged message ``mid`` of the current connection."""
        row_id = self._inflight.pop(mid, None)
        if row_id is None:
            return
        self.stats.acked += 1
        self._acked.append(row_id)
        if not self._flush_scheduled:
            # Deleting in one transaction per loop turn, not one per PUBACK.
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        self.pump()

    def _flush(self) -> None:
        self._flush_scheduled = False
        acked, self._acked = self._acked, []
        if acked:
            self.outbox.acknowledged(acked)

    def flush(self) -> None:
        """Delete acknowledged rows now (at shutdown)."""
        self._flush()

    def pump(self) -> None:
        """Send what the window, the live queue and the replay budget allow."""
        wire = self._wire
        while wire is not None and len(self._inflight) < self.window:
            if self._live:
                row_id, (topic, message) = self._live.popitem(last=False)
                if not self._send(wire, row_id, topic, message, historical=False):
                    return
                self.stats.sent_live += 1
                continue
            if self._backlog_done:
                self.stats.replay_lag_s = 0.0
                return
            row = self._next_backlog()
            if row is None:
                self._backlog_done = True
                self.stats.replay_lag_s = 0.0
                log.info("replay finished")
                return
            if not self._take_token():
                return
            row_id, topic, _priority, ts, payload = row
            self.stats.replay_lag_s = max(0.0, (self.clock.wall_ms() - ts) / 1000)
            if not self._send(wire, row_id, topic, Outbox.decode(topic, payload), historical=True):
                return
            self._batch.popleft()
            self._cursor = row_id
            self.stats.sent_replay += 1

    def _send(self, wire: Wire, row_id: int, topic: str, message: Stored, *, historical: bool) -> bool:
        mid = wire(topic, self._stamp(message, historical))
        if mid is None:
            # paho refused (its queue is full or the socket just closed): stop until told more.
            log.debug("wire refused a message; waiting")
            if not historical:
                self._live[row_id] = (topic, message)
                self._live.move_to_end(row_id, last=False)
            return False
        self._inflight[mid] = row_id
        return True

    def _next_backlog(self) -> Row | None:
        if self._batch_generation != self.outbox.generation:
            self._batch.clear()  # some rows were dropped since we read them
            self._batch_generation = self.outbox.generation
        if not self._batch:
            self._batch.extend(self.outbox.store.read(self._cursor, self._floor, _READ_BATCH))
        return self._batch[0] if self._batch else None

    def _take_token(self) -> bool:
        now = self.clock.now()
        burst = max(1.0, min(float(self.window), self.replay_rate))
        self._tokens = min(burst, self._tokens + (now - self._tokens_at) * self.replay_rate)
        self._tokens_at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        if self._timer is None:
            wait = self.clock.real((1.0 - self._tokens) / self.replay_rate)
            self._timer = asyncio.get_running_loop().call_later(wait, self._tick)
        return False

    def _tick(self) -> None:
        self._timer = None
        self.pump()

    def _forget_dropped(self) -> None:
        if self.outbox.dropped_ids:
            for row_id in self.outbox.dropped_ids:
                self._live.pop(row_id, None)
            self.outbox.dropped_ids.clear()


def restamp(message: Stored, seq: int, historical: bool) -> Stored:
    """``message`` with the session's ``seq`` and the historical flag."""
    return msgspec.structs.replace(message, seq=seq, historical=historical)
