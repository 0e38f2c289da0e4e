# ruff: noqa: E501 - long query strings and table rows read better unbroken
"""Render cost of /metrics at city (62k series) and province-shard (620k) scale, and the ingest stall it causes.

    .venv/bin/python bench/hub_render.py [--sizes 3100,31000] [--series-per-device 20]
                                         [--window 30] [--gc default|tuned]

For each size: fill the session model with devices x series, then render /metrics the
way the hub does (snapshot on the loop, text in a worker thread) while the event loop
keeps applying DATA messages, timing every loop turn. Prints render CPU and wall time,
body size, and the longest gap between two ingest turns during the render (the stall), for
a cold scrape (the first: every series formatted) and a warm one (a quarter of the devices
sent DATA since the previous scrape). Then ingest from every device goes on for
``--window`` seconds with a scrape every 2 s: row ``none`` is the longest gap outside the
scrapes (the cyclic GC's full passes stall the loop whether or not anyone scrapes), ``any``
the longest in the window. Each row also gives the full (generation 2) GC passes in its
window and the longest, and the process's RSS at its end. ``--gc tuned`` applies the hub's start-up GC
settings (:func:`hub.app.tune_gc`) where the hub does: after start-up, before the fleet
(re-)births.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from contract import payloads as p
from hub.app import tune_gc
from hub.clock import ManualClock
from hub.ingest.commands import Commands, DiscardPublisher
from hub.ingest.dispatch import Dispatcher
from hub.ingest.handoff import Raw
from hub.metrics.exposition import Rendered, Renderer
from hub.state import FleetState
from hub.stats import Stats
from tests.hub.messages import FakeNode


class FullPasses:
    """Times the cyclic GC's full (generation 2) passes through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.count = 0
        self.longest = 0.0
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.count += 1
            self.longest = max(self.longest, time.perf_counter() - self._start)

    def reset(self) -> None:
        self.count, self.longest = 0, 0.0

    def close(self) -> None:
        gc.callbacks.remove(self._callback)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def build(
    devices: int, per_device: int, freeze_gc: bool = False
) -> tuple[Dispatcher, FleetState, Stats, dict[str, FakeNode], ManualClock]:
    clock = ManualClock()
    stats = Stats(started=clock())
    state = FleetState(stats, max_series=5_000_000, freeze_gc=freeze_gc)
    dispatcher = Dispatcher(state, stats, Commands(DiscardPublisher(), stats, rebirth_min_interval=30))
    metrics = [
        p.MetricDef(name=f"m{i}", type="gauge" if i % 2 else "counter", labels=["ifname"])
        for i in range(per_device)
    ]
    ids = [f"gnb-{i:05d}" for i in range(devices)]
    owner: dict[str, FakeNode] = {}
    # One agent per 1,000 devices, as a county's agent would be (a BIRTH listing 31k ids is too large).
    for start in range(0, devices, 1000):
        agent = FakeNode(f"edge-bench-{start // 1000}")
        dispatcher.handle(Raw(*agent.birth(devices=ids[start : start + 1000]), clock.advance(0.001)))
        for device in ids[start : start + 1000]:
            dispatcher.handle(Raw(*agent.device_birth(device, metrics=metrics), clock.advance(0.001)))
            samples = [
                p.Sample(name=f"m{i}", value=i * 1000.5, labels={"ifname": "xgei-0/0/1"})
                for i in range(per_device)
            ]
            dispatcher.handle(Raw(*agent.data(device, *samples), clock.advance(0.001)))
            owner[device] = agent
    return dispatcher, state, stats, owner, clock


async def measure(devices: int, per_device: int, window: float, tuned: bool) -> list[dict[str, float | str]]:
    if tuned:
        tune_gc()  # where the hub calls it: start-up done, the fleet not (re-)born yet
    passes = FullPasses()
    dispatcher, state, stats, owner, clock = build(devices, per_device, freeze_gc=tuned)
    all_ids = list(owner)
    agent = owner[all_ids[-1]]
    renderer = Renderer()
    sample = [p.Sample(name="m0", value=1.0, labels={"ifname": "xgei-0/0/1"})]
    stall = idle_stall = 0.0
    done = False
    per_turn = 1
    scrape_events = 0
    """Renders started plus ended: a gap in which it changed overlapped a scrape."""

    async def ingest() -> None:
        nonlocal stall, idle_stall
        last = time.perf_counter()
        seen = scrape_events
        i = 0
        while not done:
            if per_turn == 1:
                dispatcher.handle(Raw(*agent.data(ids[i % len(ids)], *sample), clock.advance(0.0001)))
            else:  # every device in turn, as a province's polls would be
                for _ in range(per_turn):
                    device = all_ids[i * 7919 % len(all_ids)]
                    dispatcher.handle(Raw(*owner[device].data(device, *sample), clock.advance(0.0001)))
                    i += 1
            i += 1
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gap = now - last - 0.001
            stall = max(stall, gap)
            if seen == scrape_events and not scrape_events % 2:
                idle_stall = max(idle_stall, gap)
            last, seen = now, scrape_events

    async def scrape() -> Rendered:
        nonlocal scrape_events
        scrape_events += 1
        try:
            return await renderer.render(lambda: state.snapshot(stats.view(clock())))
        finally:
            scrape_events += 1

    ids = [f"gnb-{i:05d}" for i in range((devices - 1) // 1000 * 1000, devices)]  # the last agent's
    task = asyncio.create_task(ingest())
    results = []
    # The first scrape formats every series; later ones reuse each device's cached lines and
    # re-format only the devices that sent DATA since: a quarter of them, as with a 60 s poll
    # and a 15 s scrape interval.
    for kind in ("cold", "warm"):
        await asyncio.sleep(0.2)
        if kind == "warm":
            for device in all_ids[::4]:
                dispatcher.handle(Raw(*owner[device].data(device, *sample), clock.advance(0.0001)))
        await asyncio.sleep(0.2)
        stall = 0.0
        passes.reset()
        rendered = await scrape()
        results.append(
            {
                "scrape": kind,
                "series": state.series,
                "cpu_s": rendered.cpu_seconds,
                "wall_s": rendered.seconds,
                "mb": len(rendered.body) / 1e6,
                "stall_ms": stall * 1000,
                "passes": passes.count,
                "pass_ms": passes.longest * 1000,
                "rss_mb": rss_mb(),
            }
        )
    # Steady ingest with a scrape now and then, as in the hub. A full pass comes every ~50k
    # DATA at 620k series (~100 s of a province's ~500 DATA/s): 20 DATA per loop turn (a
    # hand-off batch) and a scrape every 2 s instead of 15 s pack that into a short window.
    # Row ``none`` is the longest gap outside the scrapes, ``any`` the longest in the window.
    stall = idle_stall = 0.0
    passes.reset()
    per_turn = 20
    end = time.perf_counter() + window
    while time.perf_counter() < end:
        await asyncio.sleep(2.0)
        await scrape()
    for row, gap in (("none", idle_stall), ("any", stall)):
        results.append(
            {
                "scrape": row,
                "series": state.series,
                "stall_ms": gap * 1000,
                "passes": passes.count,
                "pass_ms": passes.longest * 1000,
                "rss_mb": rss_mb(),
            }
        )
    done = True
    await task
    passes.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3100,31000", help="devices per run (20 series each: 62k, 620k)")
    parser.add_argument("--series-per-device", type=int, default=20)
    parser.add_argument("--window", type=float, default=30.0, help="seconds of steady ingest and scrapes")
    parser.add_argument(
        "--gc", choices=("default", "tuned"), default="default", help="tuned: hub.app.tune_gc()"
    )
    args = parser.parse_args()
    print(f"gc: {args.gc}")
    print(
        f"{'series':>8} {'scrape':>6} {'render CPU s':>12} {'wall s':>8} {'MB':>6} {'max ingest stall ms':>20}"
        f" {'full GC passes':>14} {'longest ms':>10} {'RSS MB':>7}  goal: <= 0.3 s at 62k, stall < 100 ms"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        # Each size in a fresh process would be cleaner; in one, start each from a collected heap.
        gc.collect()
        for r in asyncio.run(measure(size, args.series_per_device, args.window, args.gc == "tuned")):
            render = (
                f"{r['cpu_s']:>12.3f} {r['wall_s']:>8.3f} {r['mb']:>6.1f}"
                if "cpu_s" in r
                else f"{'-':>12} {'-':>8} {'-':>6}"
            )
            print(
                f"{r['series']:>8.0f} {r['scrape']:>6} {render} {r['stall_ms']:>20.1f}"
                f" {r['passes']:>14} {r['pass_ms']:>10.1f} {r['rss_mb']:>7.0f}"
            )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
