"""Rendering /metrics off the event loop.

The snapshot is taken on the loop (cheap: it shares copy-on-write mappings); the text,
and its gzip, are produced in a worker thread. Device and node samples and the fleet
families are written as text from per-owner caches (:mod:`hub.metrics.samples`,
:mod:`hub.metrics.fleet`); the hub's own few dozen series and the other parts'
collectors go through prometheus_client, and the two are concatenated. One render runs
at a time, so a burst of scrapes queues instead of piling up threads, and the caches
are only ever touched by one thread.

The ingest loop shares the GIL with the render thread. Python hands the GIL over every
few milliseconds between bytecodes, but not inside one C call, so the render never does
one big C operation: text is joined and encoded per family, not as one 40 MB string.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from hub.metrics import text
from hub.metrics.collector import HubCollector
from hub.metrics.fleet import FleetText
from hub.metrics.samples import SampleText
from hub.snapshot import Snapshot

#: gzip level 1 gets most of the size win (~8x on exposition text) for a fraction of level 6's CPU.
GZIP_LEVEL = 1
_EOF = b"# EOF\n"


@dataclass(frozen=True, slots=True)
class Rendered:
    """One exposition, ready to send."""

    body: bytes
    content_type: str
    gzipped: bool
    seconds: float
    cpu_seconds: float


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic GC meanwhile: allocating many objects would trigger passes over the whole heap.

    At 620k series such a pass takes ~50 ms with the GIL held, and the snapshot and the
    render allocate enough to trigger one; what they allocate is freed by reference
    counting anyway. Whoever finds the GC enabled turns it back on, so two overlapping
    pauses (the loop's snapshot and a render thread) never leave it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class TextCache:
    """What one render leaves for the next: each owner's formatted lines."""

    def __init__(self) -> None:
        # A scrape cancelled on the loop leaves its thread running; the next must wait for it.
        self.lock = threading.Lock()
        self.samples = SampleText()
        self.fleet = FleetText()


class _Chain:
    """Several collectors seen as one, as the exposition functions want."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = tuple(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def render(
    snapshot: Snapshot,
    accept: str = "",
    accept_encoding: str = "",
    extra: Sequence[Collector] = (),
    cache: TextCache | None = None,
) -> Rendered:
    """Render ``snapshot`` (plus ``extra`` collectors) in the format ``accept`` asks for.

    Blocking: call it through :class:`Renderer` from the event loop. ``cache`` is the
    previous render's (None: format everything afresh); never share one between threads.
    """
    start, cpu_start = time.perf_counter(), time.thread_time()
    encoder, content_type = choose_encoder(accept)
    fmt = text.OPENMETRICS if content_type.startswith("application/openmetrics-text") else text.TEXT
    cache = TextCache() if cache is None else cache
    with cache.lock, gc_paused():
        samples, conflicts = cache.samples.render(snapshot, fmt)
        fleet = cache.fleet.render(snapshot, fmt)
        own = encoder(_Chain((HubCollector(snapshot, conflicts), *extra)))
    parts = [own.removesuffix(_EOF)] if fmt == text.OPENMETRICS else [own]
    parts += [piece.encode() for piece in fleet]
    parts += [piece.encode() for piece in samples]
    if fmt == text.OPENMETRICS:
        parts.append(_EOF)
    body = b"".join(parts)
    del parts, samples, fleet
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
        self._cache = TextCache()

    def add(self, provider: Callable[[], Collector]) -> None:
        """Also render what ``provider`` returns: called on the event loop with the snapshot, it
        must return a collector over data that no longer changes (a copy), safe in a thread."""
        self._providers.append(provider)

    async def render(
        self, take_snapshot: Callable[[], Snapshot], accept: str = "", accept_encoding: str = ""
    ) -> Rendered:
        """Take a snapshot once it is this request's turn, then render it in a thread."""
        async with self._lock:
            with gc_paused():
                snapshot = take_snapshot()
            extra = (*self._extra, *(provider() for provider in self._providers))
            return await asyncio.to_thread(render, snapshot, accept, accept_encoding, extra, self._cache)
