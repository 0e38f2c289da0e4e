"""One node's seq stream with a reorder window (Sparkplug's Reorder Timeout).

A gap in ``seq`` does not always mean loss: QoS 1 redeliveries and, on clustered
brokers, messages on different topics can arrive out of order. Sparkplug's host rule
is to wait a configurable time for the missing numbers before asking the node to
rebirth. So a gap opens a window; numbers that turn up inside it close it again
(counted as reordered, not lost), and only what is still missing when the window
expires counts as lost and warrants a rebirth.

seq wraps at 256, so "ahead" and "behind" are judged on the circle: up to 127 ahead
is new, anything else is an old number (a redelivery). A number still missing when
the stream has moved 128 past it can no longer be told from a new one and is
declared lost at once.
"""

from __future__ import annotations

import enum

from contract.session import SEQ_MODULO

_HALF = SEQ_MODULO // 2


class Arrival(enum.Enum):
    """How one message fits into its node's stream."""

    IN_ORDER = "in_order"
    GAP = "gap"
    """New, with numbers missing before it (a window is open)."""
    FILLED = "filled"
    """A number that was missing: it arrived late, after newer messages."""
    DUPLICATE = "duplicate"
    """The last number again, or an old one: a redelivery."""


class SeqWindow:
    """Tracks one node's ``seq``; the caller decides what a lost message costs."""

    __slots__ = ("_deadline", "_missing", "_timeout", "last")

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self.last: int | None = None
        self._missing: set[int] = set()
        self._deadline: float | None = None

    def reset(self, birth_seq: int) -> None:
        """A BIRTH starts the stream afresh; whatever was missing no longer matters."""
        self.last = birth_seq
        self._missing.clear()
        self._deadline = None

    @property
    def open(self) -> bool:
        """Whether numbers are missing and the window has not expired yet."""
        return self._deadline is not None

    @property
    def deadline(self) -> float | None:
        """When the open window expires."""
        return self._deadline

    def observe(self, seq: int, now: float) -> tuple[Arrival, int]:
        """Record ``seq``; returns how it arrived and how many numbers are lost for good now.

        Numbers are lost for good when they fell half the circle behind; expiry of the
        window is reported by :meth:`expire`.
        """
        last = self.last
        if last is None:
            self.last = seq
            return Arrival.IN_ORDER, 0
        ahead = (seq - last) % SEQ_MODULO
        if ahead == 0:
            return Arrival.DUPLICATE, 0
        if seq in self._missing:
            self._missing.discard(seq)
            if not self._missing:
                self._deadline = None
            return Arrival.FILLED, 0
        if ahead >= _HALF:
            return Arrival.DUPLICATE, 0
        self.last = seq
        lost = self._forget_far(seq) if self._missing else 0
        if ahead == 1:
            return Arrival.IN_ORDER, lost
        self._missing.update((last + k) % SEQ_MODULO for k in range(1, ahead))
        if self._deadline is None:
            self._deadline = now + self._timeout
        return Arrival.GAP, lost

    def expire(self, now: float) -> int:
        """Close the window if it has expired; returns how many numbers it lost (0 if none)."""
        if self._deadline is None or now < self._deadline:
            return 0
        lost = len(self._missing)
        self._missing.clear()
        self._deadline = None
        return lost

    def _forget_far(self, last: int) -> int:
        far = {m for m in self._missing if (last - m) % SEQ_MODULO >= _HALF}
        if not far:
            return 0
        self._missing -= far
        if not self._missing:
            self._deadline = None
        return len(far)
