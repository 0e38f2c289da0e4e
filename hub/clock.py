"""The hub's notion of time, injected everywhere so tests can control it.

One wall clock (seconds since the epoch) serves for receive times, rate limits and ages:
receive times must be comparable with the millisecond timestamps in payloads, and a
small NTP step only skews an age or a rate-limit window once (ages are clamped at 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: Returns seconds since the epoch; must be safe to call from any thread.
Clock = Callable[[], float]

#: The production clock.
wall_clock: Clock = time.time


class ManualClock:
    """A clock that moves only when told to (for tests and benchmarks)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds``; returns the new time."""
        self.now += seconds
        return self.now
