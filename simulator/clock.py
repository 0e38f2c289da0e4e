"""The simulator's notion of time, injected everywhere device values are computed.

Simulated time is Unix seconds (so the daily traffic curve follows the real
local hour) that advance with a monotonic source, optionally faster than real
time, and can be frozen: while frozen every read returns the same instant, so
two SNMP reads of a counter agree. Unfreezing resumes from the frozen instant;
simulated time never jumps, which keeps every counter monotonic.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SimClock:
    """A freezable, optionally accelerated clock.

    Args:
        start: Simulated Unix time at creation; defaults to the wall clock.
        speed: Simulated seconds per real second (``1.0`` is real time).
        source: Monotonic time source in seconds; tests may pass a fake.
    """

    def __init__(
        self,
        *,
        start: float | None = None,
        speed: float = 1.0,
        source: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            msg = f"speed must be positive, got {speed}"
            raise ValueError(msg)
        self._source = source
        self._speed = speed
        self._anchor_real = source()
        self._anchor_sim = time.time() if start is None else start
        self._frozen_at: float | None = None

    def now(self) -> float:
        """Simulated Unix time in seconds."""
        if self._frozen_at is not None:
            return self._frozen_at
        return self._anchor_sim + (self._source() - self._anchor_real) * self._speed

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def speed(self) -> float:
        return self._speed

    def freeze(self) -> float:
        """Stop time; return the instant it stopped at. Freezing twice keeps the first instant."""
        if self._frozen_at is None:
            self._frozen_at = self.now()
        return self._frozen_at

    def unfreeze(self) -> float:
        """Let time run again from where it stopped."""
        if self._frozen_at is not None:
            self._anchor_sim = self._frozen_at
            self._anchor_real = self._source()
            self._frozen_at = None
        return self.now()

    def advance(self, seconds: float) -> float:
        """Jump forward (tests and demos: drain a battery without waiting). Never backwards."""
        if seconds < 0:
            msg = "simulated time only moves forward"
            raise ValueError(msg)
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._anchor_sim += seconds
        return self.now()
