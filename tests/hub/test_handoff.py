"""The paho-thread -> event-loop hand-off: order kept, bounded, batched."""

from __future__ import annotations

import asyncio
import threading

from hub.ingest.handoff import Handoff, Raw
from hub.stats import Stats


async def test_messages_from_a_thread_arrive_in_order() -> None:
    seen: list[str] = []
    handoff = Handoff(asyncio.get_running_loop(), lambda raw: seen.append(raw.topic), limit=10_000, chunk=64)

    def produce() -> None:
        for i in range(5000):
            handoff.put(Raw(f"t/{i}", b"", 0.0))

    thread = threading.Thread(target=produce)
    thread.start()
    await asyncio.to_thread(thread.join)
    for _ in range(200):
        if len(seen) == 5000:
            break
        await asyncio.sleep(0.01)
    assert seen == [f"t/{i}" for i in range(5000)]
    assert handoff.overflow == 0
    assert handoff.backlog == 0


async def test_a_full_queue_drops_and_counts() -> None:
    seen: list[Raw] = []
    handoff = Handoff(asyncio.get_running_loop(), seen.append, limit=100)
    # The loop is busy (we do not yield), as it would be under a flood.
    for i in range(250):
        handoff.put(Raw(f"t/{i}", b"", 0.0))
    assert (handoff.backlog, handoff.overflow) == (100, 150)
    handoff.drain_now()
    assert [r.topic for r in seen] == [f"t/{i}" for i in range(100)]
    view = Stats(started=0.0).view(1.0, overflow=handoff.overflow, backlog=handoff.backlog)
    assert view.rejected["overflow"] == 150
    assert view.messages[("unknown", "rejected")] == 150


async def test_closed_handoff_ignores_late_messages() -> None:
    seen: list[Raw] = []
    handoff = Handoff(asyncio.get_running_loop(), seen.append, limit=10)
    handoff.close()
    handoff.put(Raw("t", b"", 0.0))
    await asyncio.sleep(0.01)
    assert seen == []
    assert handoff.backlog == 0
