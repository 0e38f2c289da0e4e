"""Session rules of the contract: seq and bdSeq arithmetic, and gap detection.

Sparkplug B's model: a node's Will (DEATH) carries a bdSeq that its following
BIRTH repeats; a DEATH whose bdSeq differs from the current BIRTH is a late
Will from an older session and must be ignored. Every other node message
carries ``seq``, incremented per node across all its topics.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQ_MODULO = 256


def next_seq(seq: int) -> int:
    """The sequence number after ``seq``."""
    return (seq + 1) % SEQ_MODULO


def missing_between(previous: int, current: int) -> int:
    """How many messages were lost between ``previous`` and ``current`` (mod 256)."""
    return (current - previous - 1) % SEQ_MODULO


class SeqCounter:
    """Producer side: hands out seq numbers, restarting at 0 on every BIRTH."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next = 0

    def birth(self) -> int:
        """Seq for a node BIRTH (always 0); the next message gets 1."""
        self._next = 1
        return 0

    def take(self) -> int:
        """Seq for the next message."""
        seq = self._next
        self._next = next_seq(seq)
        return seq


class BdSeqCounter:
    """Producer side: one bdSeq per MQTT connection attempt (persist ``value`` across restarts)."""

    __slots__ = ("value",)

    def __init__(self, start: int = 0) -> None:
        self.value = start % SEQ_MODULO

    def advance(self) -> int:
        """bdSeq for a new CONNECT (its Will) and the BIRTH that follows it."""
        self.value = next_seq(self.value)
        return self.value


@dataclass(slots=True)
class SeqTracker:
    """Consumer side: checks one node's seq stream.

    ``observe`` returns how many messages are missing before this one (0 when in
    order). A repeat of the previous seq (a QoS 1 redelivery) counts as no gap.
    """

    last: int | None = None

    def reset(self, birth_seq: int) -> None:
        """A BIRTH starts the stream afresh."""
        self.last = birth_seq

    def observe(self, seq: int) -> int:
        """Record ``seq``; return the number of messages lost before it."""
        if self.last is None:
            self.last = seq
            return 0
        if seq == self.last:
            return 0
        gap = missing_between(self.last, seq)
        self.last = seq
        return gap
