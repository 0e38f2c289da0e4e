"""Outage: the broker stopped for an hour of agent time; what reaches it, in what order, how fast.

Real processes: the simulator (``--speed S``), Mosquitto, and ``cunlink edge
--clock-speed S``, so one hour of agent time takes 3600/S real seconds (S = 60
by default: one minute). A stand-in for the hub publishes the retained STATE online
(again once the broker is back, as the hub does on reconnect) and this script
records every DATA the agent publishes, with its arrival time.

Reported: DATA produced (from the agent's own poll counters) against DATA
delivered after de-duplication on (device, ts); gaps in each device's series;
historical replays out of timestamp order; duplicates; and the catch-up rate
(historical messages per real second from the broker's return until the
backlog is drained) against the live rate (devices + node, per interval).

    .venv/bin/python bench/edge_outage.py [--gnbs 10] [--outage 3600] [--speed 60] [--interval 60]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paho.mqtt import client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from contract.codec import decode  # noqa: E402
from contract.payloads import Data  # noqa: E402
from tests.edge_agent.conftest import publish_hub_state  # noqa: E402
from tests.support.services import Mosquitto, Process  # noqa: E402

PY = sys.executable
NODE = "edge-outage"


class Recorder:
    """Every DATA the agent publishes: (device, ts, historical, arrival), and the node's counters."""

    def __init__(self, port: int) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[str, int, bool, float]] = []
        self.node: list[Data] = []
        self.subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="outage-bench")
        self.client.on_connect = lambda c, *_: c.subscribe(f"cl/v1/agent/{NODE}/DATA/#", qos=1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_disconnect = lambda *_: self.subscribed.clear()
        self.client.on_message = self._message
        self.client.reconnect_delay_set(1, 1)
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _message(self, _c: Any, _u: Any, message: Any) -> None:
        topic, payload = decode(message.topic, bytes(message.payload))
        assert isinstance(payload, Data)
        with self.lock:
            if topic.device is None:
                self.node.append(payload)
            else:
                self.rows.append((topic.device, payload.ts, payload.historical, time.monotonic()))

    def node_total(self, name: str) -> float:
        with self.lock:
            last = self.node[-1] if self.node else None
        return sum(float(s.value) for s in (last.metrics if last else []) if s.name == name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gnbs", type=int, default=10, help="gNBs, plus their UPSes and OLT uplinks")
    parser.add_argument("--outage", type=float, default=3600.0, help="agent seconds without a broker")
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--interval", type=int, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edge-outage-"))
    broker = Mosquitto(work)
    broker.start()
    fleet, ready, config = work / "fleet.yaml", work / "sim.json", work / "agent.yaml"
    generate = [PY, "-m", "cunlink", "fleet", "generate", "--out", str(fleet), "--gnbs", "200"]
    subprocess.run(generate, check=True, cwd=ROOT, capture_output=True)
    sim_argv = [PY, "-m", "cunlink", "sim", "--fleet", str(fleet), "--devices", str(args.gnbs), "--port", "0"]
    sim_argv += ["--control-port", "-1", "--ready-file", str(ready), "--agent-config", str(config)]
    sim_argv += [
        "--speed",
        str(args.speed),
        "--mqtt-port",
        str(broker.port),
        "--interval",
        str(args.interval),
    ]
    sim = Process([*sim_argv, "--node-id", NODE], work / "sim.log")
    sim.start()
    agent: Process | None = None
    real = lambda agent_seconds: agent_seconds / args.speed  # noqa: E731
    try:
        while not ready.exists():
            time.sleep(0.2)
        data = yaml.safe_load(config.read_text())
        data["agent"]["state_dir"] = str(work / "state")
        data["mqtt"].update({"reconnect_max_delay": 1, "keepalive": 5})
        data["poll"].update({"timeout": 1.0})
        config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        devices = [t["device"] for t in data["targets"]]
        publish_hub_state(broker, True)
        recorder = Recorder(broker.port)
        recorder.subscribed.wait(10)
        agent_argv = [PY, "-m", "cunlink", "edge", "--config", str(config), "--clock-speed", str(args.speed)]
        agent = Process([*agent_argv, "--log-level", "warning"], work / "agent.log")
        agent.start()
        time.sleep(real(5 * args.interval))
        print(
            f"{len(devices)} devices every {args.interval} s; broker down for {args.outage:.0f} s of agent "
            f"time ({real(args.outage):.0f} s real at speed {args.speed:g})",
            flush=True,
        )
        broker.stop()
        time.sleep(real(args.outage))
        broker.start()
        recorder.subscribed.wait(15)
        back = time.monotonic()
        publish_hub_state(broker, True)
        # Until the agent reports its outbox empty and its replay done, then a few live cycles more.
        while time.monotonic() - back < 600:
            time.sleep(real(args.interval))
            settled = time.monotonic() - back > real(3 * args.interval)
            drained = recorder.node_total("edge_outbox_depth") <= len(devices) + 2
            if settled and drained and recorder.node_total("edge_replay_lag_seconds") == 0:
                break
        time.sleep(real(3 * args.interval))
        agent.stop()
        failed = recorder.node_total("edge_poll_failures_total")
        produced = recorder.node_total("edge_poll_cycles_total") - failed
        skipped = recorder.node_total("edge_poll_skipped_total")
    finally:
        if agent is not None:
            agent.stop()
        sim.stop()
        broker.stop()
    with recorder.lock:
        rows = list(recorder.rows)
    unique = {(d, ts) for d, ts, _, _ in rows}
    duplicates = len(rows) - len(unique)
    disorder = 0
    gaps = 0
    for device in devices:
        stamps = sorted(ts for d, ts in unique if d == device)
        gaps += sum(1 for a, b in itertools.pairwise(stamps) if (b - a) / 1000 > 1.5 * args.interval)
        hist = [ts for d, ts, h, _ in rows if d == device and h]
        disorder += sum(1 for a, b in itertools.pairwise(hist) if b < a)
    hist_arrivals = [at for _, _, h, at in rows if h and at >= back]
    catch_up = len(hist_arrivals) / max(max(hist_arrivals) - back, 1e-3) if hist_arrivals else 0.0
    live = (len(devices) + 1) / real(args.interval)
    share = 100 * len(unique) / max(produced, 1)
    print(
        f"DATA produced (agent's last node report) {produced:.0f}, "
        f"delivered unique {len(unique)} ({share:.2f} %)"
    )
    print(
        f"gaps in any device series: {gaps} (agent: {skipped:.0f} slots skipped, {failed:.0f} polls failed)"
    )
    print(f"historical out of order: {disorder}; duplicates: {duplicates}")
    print(
        f"replayed {len(hist_arrivals)} messages at {catch_up:.0f}/s real = {catch_up / live:.1f} x the live "
        f"rate ({live:.1f}/s real)"
    )


if __name__ == "__main__":
    main()
