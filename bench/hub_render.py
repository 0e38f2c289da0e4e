# ruff: noqa: E501 - long query strings and table rows read better unbroken
"""Render cost of /metrics at city (62k series) and province-shard (620k) scale, and the ingest stall it causes.

    .venv/bin/python bench/hub_render.py [--sizes 3100,31000] [--series-per-device 20]

For each size: fill the session model with devices x series, then render /metrics the
way the hub does (snapshot on the loop, text in a worker thread) while the event loop
keeps applying DATA messages, timing every loop turn. Prints render CPU and wall time,
body size, and the longest gap between two ingest turns during the render (the stall), for
a cold scrape (the first: every series formatted) and a warm one (a quarter of the devices
sent DATA since the previous scrape).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from contract import payloads as p
from hub.clock import ManualClock
from hub.ingest.commands import Commands, DiscardPublisher
from hub.ingest.dispatch import Dispatcher
from hub.ingest.handoff import Raw
from hub.metrics.exposition import Renderer
from hub.state import FleetState
from hub.stats import Stats
from tests.hub.messages import FakeNode


def build(
    devices: int, per_device: int
) -> tuple[Dispatcher, FleetState, Stats, dict[str, FakeNode], ManualClock]:
    clock = ManualClock()
    stats = Stats(started=clock())
    state = FleetState(stats, max_series=5_000_000)
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


async def measure(devices: int, per_device: int) -> list[dict[str, float | str]]:
    dispatcher, state, stats, owner, clock = build(devices, per_device)
    all_ids = list(owner)
    agent = owner[all_ids[-1]]
    renderer = Renderer()
    sample = [p.Sample(name="m0", value=1.0, labels={"ifname": "xgei-0/0/1"})]
    stall = 0.0
    done = False

    async def ingest() -> None:
        nonlocal stall
        last = time.perf_counter()
        i = 0
        while not done:
            dispatcher.handle(Raw(*agent.data(ids[i % len(ids)], *sample), clock.advance(0.0001)))
            i += 1
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stall = max(stall, now - last - 0.001)
            last = now

    ids = [f"gnb-{i:05d}" for i in range((devices - 1) // 1000 * 1000, devices)]  # the last agent's
    task = asyncio.create_task(ingest())
    results = []
    # The first scrape formats every series; later ones reuse each device's cached lines and
    # re-format only the devices that sent DATA since: a quarter of them, as with a 60 s poll
    # and a 15 s scrape interval.
    for scrape in ("cold", "warm"):
        await asyncio.sleep(0.2)
        if scrape == "warm":
            for device in all_ids[::4]:
                dispatcher.handle(Raw(*owner[device].data(device, *sample), clock.advance(0.0001)))
        await asyncio.sleep(0.2)
        stall = 0.0
        rendered = await renderer.render(lambda: state.snapshot(stats.view(clock())))
        results.append(
            {
                "scrape": scrape,
                "series": state.series,
                "cpu_s": rendered.cpu_seconds,
                "wall_s": rendered.seconds,
                "mb": len(rendered.body) / 1e6,
                "stall_ms": stall * 1000,
            }
        )
    done = True
    await task
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3100,31000", help="devices per run (20 series each: 62k, 620k)")
    parser.add_argument("--series-per-device", type=int, default=20)
    args = parser.parse_args()
    print(
        f"{'series':>8} {'scrape':>6} {'render CPU s':>12} {'wall s':>8} {'MB':>6} {'max ingest stall ms':>20}"
        "  goal: <= 0.3 s at 62k, stall < 100 ms"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        for r in asyncio.run(measure(size, args.series_per_device)):
            print(
                f"{r['series']:>8.0f} {r['scrape']:>6} {r['cpu_s']:>12.3f} {r['wall_s']:>8.3f} {r['mb']:>6.1f} {r['stall_ms']:>20.1f}"
            )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
