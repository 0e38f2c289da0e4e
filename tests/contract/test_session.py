"""seq and bdSeq arithmetic and gap detection."""

from __future__ import annotations

from contract.session import BdSeqCounter, SeqCounter, SeqTracker, missing_between


def test_seq_counter_wraps_and_restarts_on_birth() -> None:
    counter = SeqCounter()
    assert counter.birth() == 0
    seqs = [counter.take() for _ in range(300)]
    assert seqs[0] == 1
    assert seqs[254] == 255
    assert seqs[255] == 0
    assert counter.birth() == 0
    assert counter.take() == 1


def test_bdseq_advances_per_connect_and_wraps() -> None:
    bd = BdSeqCounter(start=254)
    assert [bd.advance() for _ in range(3)] == [255, 0, 1]


def test_missing_between_handles_wrap() -> None:
    assert missing_between(1, 2) == 0
    assert missing_between(1, 4) == 2
    assert missing_between(254, 1) == 2


def test_tracker_counts_gaps_not_redeliveries() -> None:
    tracker = SeqTracker()
    tracker.reset(0)
    assert tracker.observe(1) == 0
    assert tracker.observe(1) == 0  # QoS 1 redelivery
    assert tracker.observe(4) == 2
    assert tracker.observe(5) == 0
    tracker.reset(0)
    assert tracker.observe(1) == 0
