"""Counter continuity: Counter32 wraps, counter resets and device reboots.

Prometheus ``rate()`` reads any decrease as a reset and counts the new value
from zero, so a Counter32 wrap (every 34 s at 1 Gb/s) would lose up to 4 GiB
per wrap, and an agent that emits the raw value after a wrap looks like a
reset. The agent therefore reports a monotonic 64-bit total per series:

* a rise adds the difference;
* a Counter32 fall without a reboot is a wrap: add ``raw + 2**32 - last``;
* a fall after a reboot, or of a Counter64 (which does not wrap in practice),
  is a reset: the counter restarted at 0, so add ``raw``;
* a rise across a reboot still adds only the difference, because many agents
  restart (sysUpTime goes back) without their interface counters resetting
  (net-snmp's snmpd restarting on a Linux box is one).

A reboot is snmpEngineBoots going up when the agent reports it (it cannot
wrap), else sysUpTime going back, except the sysUpTime wrap after 497 days.

Both classes save to and load from plain data, so the agent keeps them across
its own restarts (:mod:`edge_agent.store`): a restarted agent then extends a
Counter32 from where it left off instead of reporting its raw value, which
Prometheus would read as a reset. Time is wall-clock seconds for that reason
(a monotonic clock does not survive a restart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNTER32_MODULO = 2**32
TIMETICKS_MODULO = 2**32
#: How far the 497-day sysUpTime wrap may miss the expected value and still be a wrap:
#: clocks drift and polls land late, but a reboot lands nowhere near it.
_WRAP_SLACK_TICKS = 60 * 100


@dataclass(slots=True)
class _Series:
    raw: int
    total: int
    seen: int


class CounterBank:
    """Monotonic totals of the counters of one device, keyed by ``"<column OID>|<index>"``."""

    __slots__ = ("_cycle", "_series", "resets", "wraps")

    def __init__(self) -> None:
        self._series: dict[str, _Series] = {}
        self._cycle = 0
        self.wraps = 0
        self.resets = 0

    def __len__(self) -> int:
        return len(self._series)

    def observe(self, key: str, raw: int, *, width: int, rebooted: bool) -> int:
        """The total to report for ``raw``, the counter's value now (``width`` 32 or 64 bits)."""
        series = self._series.get(key)
        if series is None:
            self._series[key] = _Series(raw=raw, total=raw, seen=self._cycle)
            return raw
        if raw >= series.raw:
            series.total += raw - series.raw
        elif width == 32 and not rebooted:
            series.total += raw + COUNTER32_MODULO - series.raw
            self.wraps += 1
        else:
            series.total += raw
            self.resets += 1
        series.raw = raw
        series.seen = self._cycle
        return series.total

    def end_cycle(self, keep_unseen: int = 10) -> None:
        """Close a poll cycle; forget series not seen for ``keep_unseen`` cycles (removed rows)."""
        self._cycle += 1
        horizon = self._cycle - keep_unseen
        stale = [key for key, series in self._series.items() if series.seen < horizon]
        for key in stale:
            del self._series[key]

    def to_state(self) -> dict[str, list[int]]:
        """Plain data for the state store: key -> [raw, total]."""
        return {key: [series.raw, series.total] for key, series in self._series.items()}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from a saved state (malformed entries are skipped)."""
        for key, value in state.items():
            if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
                self._series[key] = _Series(raw=value[0], total=value[1], seen=self._cycle)


class UptimeTracker:
    """Detects reboots from sysUpTime (TimeTicks), snmpEngineBoots and wall-clock seconds."""

    __slots__ = ("_at", "_boots", "_ticks")

    def __init__(self) -> None:
        self._ticks: int | None = None
        self._boots: int | None = None
        self._at = 0.0

    @property
    def last_ticks(self) -> int | None:
        """sysUpTime at the previous observation."""
        return self._ticks

    def observe(self, ticks: int, now: float, boots: int | None = None) -> bool:
        """Record sysUpTime (and snmpEngineBoots) read at ``now``; True if the device rebooted since."""
        previous, at, previous_boots = self._ticks, self._at, self._boots
        self._ticks, self._at = ticks, now
        if boots is not None:
            self._boots = boots
            if previous_boots is not None:
                # engineBoots is authoritative: it only grows, and does not wrap in practice.
                return boots != previous_boots
        if previous is None or ticks >= previous:
            return False
        expected = previous + round((now - at) * 100)
        wrapped = (
            expected >= TIMETICKS_MODULO and abs(expected - TIMETICKS_MODULO - ticks) <= _WRAP_SLACK_TICKS
        )
        return not wrapped

    def to_state(self) -> dict[str, Any]:
        """Plain data for the state store."""
        return {"ticks": self._ticks, "at": self._at, "boots": self._boots}

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from a saved state."""
        ticks, at, boots = state.get("ticks"), state.get("at"), state.get("boots")
        self._ticks = ticks if isinstance(ticks, int) else None
        self._at = float(at) if isinstance(at, int | float) else 0.0
        self._boots = boots if isinstance(boots, int) else None
