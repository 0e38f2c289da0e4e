"""Per-key rate limiting for things the hub does in reaction to what nodes send.

A broken or hostile node can send thousands of bad messages a second; each may warrant a
log line or a rebirth command, but the hub must answer with at most one per key per
interval. Keys are node ids or reject reasons, so the table is pruned to stay bounded
even if someone invents node ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RateLimiter:
    """Allows one event per ``interval`` seconds per key and counts what it suppressed."""

    interval: float
    max_keys: int = 10_000
    _last: dict[str, float] = field(default_factory=dict)
    _suppressed: dict[str, int] = field(default_factory=dict)

    def allow(self, key: str, now: float) -> bool:
        """Whether an event for ``key`` may happen at ``now``; records it if so."""
        last = self._last.get(key)
        if last is not None and 0 <= now - last < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        if last is None and len(self._last) >= self.max_keys:
            self._prune(now)
        self._last[key] = now
        return True

    def take_suppressed(self, key: str) -> int:
        """How many events for ``key`` were suppressed since this was last asked; resets it."""
        return self._suppressed.pop(key, 0)

    def _prune(self, now: float) -> None:
        expired = [k for k, t in self._last.items() if not 0 <= now - t < self.interval]
        for key in expired:
            del self._last[key]
            self._suppressed.pop(key, None)
        if len(self._last) >= self.max_keys:
            # Every key is recent: forget the oldest half rather than grow without bound.
            for key in sorted(self._last, key=self._last.__getitem__)[: self.max_keys // 2]:
                del self._last[key]
                self._suppressed.pop(key, None)
