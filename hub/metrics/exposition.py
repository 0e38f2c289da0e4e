"""Rendering /metrics off the event loop.

prometheus_client renders synchronously (about 7 µs of CPU per series, so ~0.5 s at a
city's 62k series); done on the event loop that would stall MQTT ingest for as long.
The snapshot is taken on the loop (cheap: it shares copy-on-write mappings), and the
text, and its gzip, are produced in a worker thread. One render runs at a time so that
a burst of scrapes queues instead of piling up threads.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from hub.metrics.collector import SnapshotCollector
from hub.snapshot import Snapshot

#: gzip level 1 gets most of the size win (~8x on exposition text) for a fraction of level 6's CPU.
GZIP_LEVEL = 1


@dataclass(frozen=True, slots=True)
class Rendered:
    """One exposition, ready to send."""

    body: bytes
    content_type: str
    gzipped: bool
    seconds: float
    cpu_seconds: float


class _Chain:
    """Several collectors seen as one, as the exposition functions want."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = tuple(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def render(
    snapshot: Snapshot, accept: str = "", accept_encoding: str = "", extra: Sequence[Collector] = ()
) -> Rendered:
    """Render ``snapshot`` (plus ``extra`` collectors) in the format ``accept`` asks for.

    Blocking: call it through :func:`render_async` from the event loop.
    """
    start, cpu_start = time.perf_counter(), time.thread_time()
    encoder, content_type = choose_encoder(accept)
    # A render allocates a few container objects per series, all freed by reference counting.
    # Left on, the cyclic GC keeps re-scanning them and the whole heap: measured at 30k series,
    # it added 25-50% to the render and stalled the event loop for ~45 ms (GC holds the GIL).
    # Renders are serialised (Renderer's lock), so nothing else toggles it meanwhile.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        body = encoder(_Chain((SnapshotCollector(snapshot), *extra)))
    finally:
        if was_enabled:
            gc.enable()
    gzipped = "gzip" in accept_encoding.lower()
    if gzipped:
        body = gzip.compress(body, compresslevel=GZIP_LEVEL)
    return Rendered(body, content_type, gzipped, time.perf_counter() - start, time.thread_time() - cpu_start)


class Renderer:
    """Serialises renders and runs each in a worker thread."""

    def __init__(self, extra: Sequence[Collector] = ()) -> None:
        self._extra = tuple(extra)
        self._providers: list[Callable[[], Collector]] = []
        self._lock = asyncio.Lock()

    def add(self, provider: Callable[[], Collector]) -> None:
        """Also render what ``provider`` returns: called on the event loop with the snapshot, it
        must return a collector over data that no longer changes (a copy), safe in a thread."""
        self._providers.append(provider)

    async def render(
        self, take_snapshot: Callable[[], Snapshot], accept: str = "", accept_encoding: str = ""
    ) -> Rendered:
        """Take a snapshot once it is this request's turn, then render it in a thread."""
        async with self._lock:
            snapshot = take_snapshot()
            extra = (*self._extra, *(provider() for provider in self._providers))
            return await asyncio.to_thread(render, snapshot, accept, accept_encoding, extra)
