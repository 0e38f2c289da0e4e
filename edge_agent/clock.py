"""The agent's time: monotonic seconds, sleeps, wall-clock milliseconds, optionally accelerated.

Everything that schedules or stamps (pollers, the outbox's age bound, the replay
rate, the health reporter) takes a :class:`Clock`, so tests drive time. An
accelerated clock (``speed`` agent-seconds per real second) lets a test run
ten minutes of agent time in ten real seconds against a simulator running at
the same ``--speed``: polls, the broker outage, timestamps and ages all
follow agent time, while network timeouts (SNMP, MQTT) stay in real seconds
because the network is real.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """What the agent needs to know about time."""

    def now(self) -> float:
        """Monotonic agent seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of agent time."""
        ...

    def wall_ms(self) -> int:
        """UTC milliseconds since the epoch, in agent time (payload timestamps)."""
        ...

    def real(self, seconds: float) -> float:
        """Real seconds that ``seconds`` of agent time take (for asyncio timeouts)."""
        ...


class SystemClock:
    """Real time, or real time sped up ``speed`` times from the moment of creation."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            msg = f"speed must be positive, got {speed}"
            raise ValueError(msg)
        self.speed = speed
        self._mono0 = time.monotonic()
        self._wall0 = time.time_ns() // 1_000_000

    def now(self) -> float:
        """Monotonic agent seconds."""
        return (time.monotonic() - self._mono0) * self.speed

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of agent time."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def wall_ms(self) -> int:
        """Wall-clock milliseconds; accelerated from the creation instant when speed != 1."""
        if self.speed == 1.0:
            return time.time_ns() // 1_000_000
        return self._wall0 + round((time.monotonic() - self._mono0) * self.speed * 1000)

    def real(self, seconds: float) -> float:
        """Real seconds for ``seconds`` of agent time."""
        return seconds / self.speed
