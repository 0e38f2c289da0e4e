"""Daily load curves and the counters that integrate them.

A curve is a short Fourier series in local time (Asia/Shanghai, UTC+8):

    load(t) = 1 + sum(a_k * cos(w_k * t + p_k))        (mean 1)

shaped so that it is quiet before dawn (~0.1), busy by day, and peaks around
21:00 (~1.6), plus a small ripple with a device-specific period of minutes.
Because the series has a closed-form integral, a counter is an exact integral
of its rate: no state to update, any instant can be read, values are monotonic,
and the 32-bit and 64-bit views of one counter always agree.

An :class:`Accumulator` adds pauses (a link that is down carries nothing) and
restarts (a reboot zeroes every counter) on top of a curve.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

_DAY = 86400.0
_W = 2.0 * math.pi / _DAY
_UTC_OFFSET = 8 * 3600.0
# Peak of the fundamental (17:00) and of the second harmonic (21:00 and 09:00), local time.
_P1 = 17 * 3600.0
_P2 = 21 * 3600.0
# Upper bound of load(): 1 + sum of amplitudes; used to turn load into a 0..1 utilisation.
LOAD_MAX = 1.0 + 0.75 + 0.25 + 0.04


@dataclass(frozen=True, slots=True)
class Curve:
    """``load(t)`` as (amplitude, angular frequency, phase) terms; see the module docstring."""

    terms: tuple[tuple[float, float, float], ...]

    @classmethod
    def daily(cls, rng: random.Random) -> Curve:
        """A daily curve with per-device variation drawn from ``rng``."""
        shift = rng.uniform(-3600.0, 3600.0)
        a1 = rng.uniform(0.65, 0.75)
        a2 = rng.uniform(0.2, 0.25)
        ripple_period = rng.uniform(7 * 60.0, 23 * 60.0)
        w3 = 2.0 * math.pi / ripple_period
        # cos(w * (t + utc_offset - peak)) peaks when local time == peak.
        return cls(
            terms=(
                (a1, _W, _W * (_UTC_OFFSET - _P1 - shift)),
                (a2, 2.0 * _W, 2.0 * _W * (_UTC_OFFSET - _P2 - shift)),
                (0.04, w3, rng.uniform(0.0, 2.0 * math.pi)),
            )
        )

    def load(self, t: float) -> float:
        """Instantaneous load at simulated time ``t`` (mean 1, always > 0)."""
        return 1.0 + sum(a * math.cos(w * t + p) for a, w, p in self.terms)

    def integral(self, t0: float, t1: float) -> float:
        """Integral of ``load`` from ``t0`` to ``t1``, in load-seconds."""
        return (t1 - t0) + sum(
            a / w * (math.sin(w * t1 + p) - math.sin(w * t0 + p)) for a, w, p in self.terms
        )


@dataclass(slots=True)
class Accumulator:
    """Integral of a curve since ``start``, not counting the time it spent paused."""

    curve: Curve
    start: float
    paused_since: float | None = None
    lost: float = field(default=0.0)

    def value(self, t: float) -> float:
        """Load-seconds accumulated up to ``t``."""
        end = t if self.paused_since is None else min(t, self.paused_since)
        if end <= self.start:
            return 0.0
        return self.curve.integral(self.start, end) - self.lost

    def pause(self, t: float) -> None:
        if self.paused_since is None:
            self.paused_since = t

    def resume(self, t: float) -> None:
        if self.paused_since is not None:
            if t > self.paused_since:
                self.lost += self.curve.integral(max(self.paused_since, self.start), t)
            self.paused_since = None

    def restart(self, t: float) -> None:
        """Zero the counter at ``t``; a paused accumulator stays paused from ``t``."""
        self.start = t
        self.lost = 0.0
        if self.paused_since is not None:
            self.paused_since = t
