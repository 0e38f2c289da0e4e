"""The one crossing from paho's network thread to the event loop.

paho calls ``on_message`` in its own thread; anything slow there stalls keepalives and
acks, and touching hub state there would race the event loop. So the thread only appends
(topic, payload, receive time) to a bounded queue and wakes the loop once per batch; the
loop decodes and applies in chunks, yielding between them so /metrics and /healthz keep
answering under a flood.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import NamedTuple


class Raw(NamedTuple):
    """A message as it came off the wire.

    A NamedTuple, not a frozen dataclass: one is built per message in paho's thread, and
    a frozen dataclass's ``__init__`` (``object.__setattr__`` per field) costs 4x as much.
    """

    topic: str
    payload: bytes
    received: float
    retained: bool = False


class Handoff:
    """Bounded, batched queue from one producer thread to the event loop."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sink: Callable[[Raw], None],
        *,
        limit: int,
        chunk: int = 500,
        delay: float = 0.02,
    ) -> None:
        self._loop = loop
        self._sink = sink
        self._limit = limit
        self._chunk = chunk
        self._delay = delay
        self._queue: deque[Raw] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._closed = False
        self.overflow = 0
        """Messages dropped because the queue was full (read on the loop, written in the thread)."""

    @property
    def backlog(self) -> int:
        """Messages waiting."""
        return len(self._queue)

    def put(self, raw: Raw) -> None:
        """Queue one message; called from paho's thread. Never raises."""
        with self._lock:
            if self._closed:
                return
            if len(self._queue) >= self._limit:
                self.overflow += 1
                return
            self._queue.append(raw)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:
            # The loop closed under us during shutdown; nothing left to deliver to.
            with self._lock:
                self._closed = True

    def close(self) -> None:
        """Stop accepting messages (shutdown)."""
        with self._lock:
            self._closed = True

    def drain_now(self) -> None:
        """Process everything queued, synchronously (for shutdown and tests)."""
        while self._queue:
            self._drain(reschedule=False)

    def _wake(self) -> None:
        # Waking the loop costs a self-pipe write and a loop turn per call. Waiting lets one
        # drain take every message of a burst; measured, an immediate drain per message cost
        # about a third of the hub's ingest CPU. 20 ms rather than 2 ms: fewer, longer drains
        # also mean less GIL ping-pong with paho's thread (hub/bare paho 62-64 % -> 66-67 %
        # in bench/hub_ingest.py), and 20 ms is nothing against the 1 s freshness goal.
        self._loop.call_later(self._delay, self._drain)

    def _drain(self, reschedule: bool = True) -> None:
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(self._chunk, len(self._queue)))]
            more = bool(self._queue)
            if not more:
                self._scheduled = False
        for raw in batch:
            self._sink(raw)
        if more and reschedule:
            # call_soon puts us behind whatever else is ready, e.g. a scrape's handler.
            self._loop.call_soon(self._drain)
