"""Per-key rate limiting stays correct and bounded when keys are invented faster than they expire."""

from __future__ import annotations

from hub.ratelimit import RateLimiter


def test_one_event_per_interval_per_key() -> None:
    limiter = RateLimiter(interval=10)
    assert limiter.allow("a", 0)
    assert not limiter.allow("a", 5)
    assert limiter.allow("b", 5)
    assert not limiter.allow("a", 9.9)
    assert limiter.take_suppressed("a") == 2
    assert limiter.allow("a", 10)
    assert limiter.take_suppressed("a") == 0


def test_a_clock_step_backwards_does_not_block_forever() -> None:
    limiter = RateLimiter(interval=10)
    assert limiter.allow("a", 1000)
    assert limiter.allow("a", 500)  # NTP stepped back: allow rather than wait 500 s


def test_table_stays_bounded() -> None:
    limiter = RateLimiter(interval=10, max_keys=100)
    for i in range(1000):
        assert limiter.allow(f"node-{i}", i * 0.001)  # all recent: oldest half is forgotten
    assert len(limiter._last) <= 100
    assert limiter.allow("late", 100)  # everything expired: pruned, not just halved
    assert len(limiter._last) <= 100
