# ruff: noqa: E501 - long query strings and table rows read better unbroken
"""Hub ingest CPU per message against a bare paho subscriber doing json.loads, same stream, one run.

    .venv/bin/python bench/hub_ingest.py [--messages 100000] [--samples 5]

Starts a private Mosquitto, then for each consumer in turn (bare paho + json.loads + a dict
update; the hub with decode, session rules and state) starts it as its own process,
replays the same stream at QoS 0 (5 agents, 1,000 gNBs, BIRTHs first, then DATA of
``--samples`` samples each) and reads the consumer's own CPU time between its first and
last message. Prints messages per CPU-second and the hub's share of the bare subscriber's.
Goal (issue 4): hub >= 20,000 msg/CPU-s and >= 65 % of the bare subscriber.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from contract import payloads as p  # noqa: E402
from tests.hub.messages import FakeNode  # noqa: E402
from tests.support.services import Mosquitto  # noqa: E402

CONSUMER = r"""
import json, sys, time, threading, asyncio
port, count, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if mode == "bare":
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    seen, state, marks = [0], {}, {}
    done = threading.Event()
    def on_message(c, u, m):
        if seen[0] == 0:
            marks["cpu0"] = time.process_time()
        state[m.topic] = json.loads(m.payload)
        seen[0] += 1
        if seen[0] >= count:
            marks["cpu1"] = time.process_time(); done.set()
    def on_connect(c, u, f, rc, pr):
        c.subscribe("cl/v1/#", qos=1)
    def on_subscribe(*a):
        print("ready", flush=True)
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-bare")
    c.on_message, c.on_connect, c.on_subscribe = on_message, on_connect, on_subscribe
    c.connect("127.0.0.1", port); c.loop_start()
    done.wait(float(sys.argv[4]))
    print(json.dumps({"received": seen[0], "cpu": marks.get("cpu1", time.process_time()) - marks.get("cpu0", 0)}))
else:
    from aiohttp import web
    from hub import keys
    from hub.app import create_app
    from hub.config import HubConfig
    import tempfile, logging
    logging.disable(logging.WARNING)
    async def main():
        config = HubConfig.model_validate({"mqtt": {"port": port}, "http": {"port": 1}, "data_dir": tempfile.mkdtemp()})
        app = create_app(config)
        runner = web.AppRunner(app); await runner.setup()
        stats = app[keys.STATS]
        while not stats.mqtt_connected:
            await asyncio.sleep(0.01)
        print("ready", flush=True)
        cpu0 = None; deadline = time.monotonic() + float(sys.argv[4]); last = 0
        while time.monotonic() < deadline:
            total = stats.view(0).total_messages + app[keys.HANDOFF].overflow
            if cpu0 is None and total:
                cpu0 = time.process_time()
            if total >= count:
                break
            await asyncio.sleep(0.002)
        cpu1 = time.process_time()
        view = stats.view(0)
        print(json.dumps({"received": view.total_messages, "cpu": cpu1 - (cpu0 or cpu1),
                          "rejected": dict(view.rejected)}))
        await runner.cleanup()
    asyncio.run(main())
"""


def stream(messages: int, samples: int) -> list[tuple[str, bytes]]:
    agents = [FakeNode(f"edge-{n}") for n in range(5)]
    ids = {a.node: [f"gnb-{n}-{i:04d}" for i in range(200)] for n, a in enumerate(agents)}
    out = []
    for agent in agents:
        out.append(agent.birth(devices=ids[agent.node]))
        metrics = [p.MetricDef(name=f"m{i}", type="gauge", labels=["ifname"]) for i in range(samples)]
        out += [agent.device_birth(d, metrics=metrics) for d in ids[agent.node]]
    i = 0
    while len(out) < messages:
        agent = agents[i % 5]
        device = ids[agent.node][(i // 5) % 200]
        values = [
            p.Sample(name=f"m{k}", value=i * 1.5 + k, labels={"ifname": "xgei-0/0/1"}) for k in range(samples)
        ]
        out.append(agent.data(device, *values))
        i += 1
    return out


def run(mode: str, port: int, msgs: list[tuple[str, bytes]]) -> dict[str, float]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CONSUMER, str(port), str(len(msgs)), mode, "120"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    pub = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{mode}")
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    started = time.perf_counter()
    for topic, payload in msgs:
        pub.publish(topic, payload, qos=0)
    pub.loop_stop()
    pub.disconnect()
    result = json.loads(proc.stdout.readline())
    proc.wait(30)
    result["wall"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=5, help="samples per DATA message")
    args = parser.parse_args()
    msgs = stream(args.messages, args.samples)
    size = sum(len(m[1]) for m in msgs) / len(msgs)
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp))
        broker.start()
        try:
            bare = run("bare", broker.port, msgs)
            hub = run("hub", broker.port, msgs)
        finally:
            broker.stop()
    print(f"stream: {len(msgs)} messages, mean {size:.0f} B, QoS 0, via Mosquitto")
    for name, r in (("bare paho + json.loads", bare), ("hub (decode, session, state)", hub)):
        rate = r["received"] / r["cpu"] if r["cpu"] else float("nan")
        print(f"{name:30} received {r['received']:>7}  CPU {r['cpu']:6.2f} s  {rate:>9,.0f} msg/CPU-s")
    ratio = (hub["received"] / hub["cpu"]) / (bare["received"] / bare["cpu"])
    print(f"hub / bare = {ratio:.0%}   (goal: hub >= 20,000 msg/CPU-s and >= 65 %)")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
