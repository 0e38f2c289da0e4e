# ruff: noqa: E501 - long query strings and table rows read better unbroken
"""Freshness: publish -> visible on /metrics (p50/p99), and device DEATH -> cl_device_up 0.

    .venv/bin/python bench/hub_freshness.py [--devices 3131] [--rounds 40]

A private Mosquitto and the real hub (HTTP on loopback) with ``--devices`` gNBs born
(4 series each); then, per round, one DATA with a new value (or a device DEATH) is
published and /metrics is fetched until it shows it. Goal (issue 4): p99 <= 1 s for both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from contract import payloads as p  # noqa: E402
from hub import keys  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.config import HubConfig  # noqa: E402
from tests.hub.broker import NodeClient  # noqa: E402
from tests.hub.fleetsim import FleetNode  # noqa: E402
from tests.hub.messages import FakeNode  # noqa: E402
from tests.support.services import Mosquitto  # noqa: E402
from tests.support.stack import metric_value  # noqa: E402


async def bench(devices: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp))
        broker.start()
        config = HubConfig.model_validate(
            {"mqtt": {"port": broker.port}, "data_dir": str(Path(tmp) / "data")}
        )
        app = create_app(config)
        nodes: list[FleetNode] = []
        try:
            async with TestClient(TestServer(app)) as client:
                while not app[keys.STATS].mqtt_connected:
                    await asyncio.sleep(0.05)
                ids = [f"gnb-{i:04d}" for i in range(devices)]
                nodes = [FleetNode(broker, f"edge-{n}", ids[n::5]) for n in range(5)]
                while app[keys.STATE].series < devices * 3:
                    await asyncio.sleep(0.1)
                agent = FakeNode("edge-probe")
                probe = NodeClient(broker, agent.node)
                metric = [p.MetricDef(name="probe_value", type="gauge")]
                await probe.send(agent.birth(devices=[f"probe-{r}" for r in range(rounds)]))
                await probe.send(*(agent.device_birth(f"probe-{r}", metrics=metric) for r in range(rounds)))
                visible, down = [], []
                for r in range(rounds):
                    sample = p.Sample(name="probe_value", value=r + 0.5)
                    started = time.perf_counter()
                    await probe.send(agent.data(f"probe-{r}", sample))
                    while (
                        metric_value(
                            await (await client.get("/metrics")).text(),
                            "cl_probe_value",
                            {"device": f"probe-{r}"},
                        )
                        != r + 0.5
                    ):
                        pass
                    visible.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await probe.send(agent.device_death(f"probe-{r}"))
                    while (
                        metric_value(
                            await (await client.get("/metrics")).text(),
                            "cl_device_up",
                            {"device": f"probe-{r}"},
                        )
                        != 0
                    ):
                        pass
                    down.append(time.perf_counter() - started)
                probe.close()
                series = app[keys.STATE].series
        finally:
            for node in nodes:
                node.close()
            broker.stop()
    for name, values in (
        ("publish -> visible on /metrics", visible),
        ("device DEATH -> cl_device_up 0", down),
    ):
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{name:34} p50 {statistics.median(values):.3f} s  p99 {p99:.3f} s  max {values[-1]:.3f} s  (goal p99 <= 1 s)"
        )
    print(f"({devices} gNBs born, {series} series; each wait includes full /metrics renders)")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=3131)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(bench(args.devices, args.rounds))


if __name__ == "__main__":
    main()
