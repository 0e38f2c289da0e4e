"""Capacity: how many simulated gNBs one agent polls every 60 s on one core with no missed cycle.

Three processes, each a real one: the simulator serving N gNBs (system, IF-MIB and
the gNB radio MIB over v2c, community-indexed, one UDP port), Mosquitto, and
``cunlink edge`` with the config the simulator writes. The agent is pinned to CPU
0 with ``taskset``; simulator, broker and this script share CPU 1, so the responder
is not the agent's bottleneck (its own CPU use is printed too). No hub runs: the
agent publishes without waiting for a hub STATE (``wait_for_hub: false``), and
this script subscribes to everything the agent publishes.

After a warm-up cycle, for ``--cycles`` intervals it counts every device's DATA
(one per device per cycle is the goal), reads the agent's node DATA (polls,
failures, skipped slots, SNMP timeouts) and the agent's CPU time from /proc.

    taskset -c 1 .venv/bin/python bench/edge_capacity.py [--gnbs 3131] [--interval 60] [--cycles 3]

Run it under ``taskset -c 1`` as shown, so that this script and the broker (which
inherit its affinity) stay off the agent's core.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paho.mqtt import client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from contract.codec import decode  # noqa: E402
from contract.payloads import Data  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.services import Mosquitto, Process  # noqa: E402

PY = sys.executable
_DURATION = re.compile(rb'"name":"edge_poll_duration_seconds","value":([0-9.e-]+)')
TICKS = os.sysconf("SC_CLK_TCK")


def udp_drops() -> dict[str, int]:
    """Kernel UDP counters (receive buffer overflows show as RcvbufErrors)."""
    lines = [
        line.split() for line in Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Udp:")
    ]
    return {k: int(v) for k, v in zip(lines[0][1:], lines[1][1:], strict=True)}


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Listener:
    """Counts device DATA per device and keeps the node's DATA and poll durations."""

    def __init__(self, port: int, node: str) -> None:
        self.lock = threading.Lock()
        self.data: Counter[str] = Counter()
        self.durations: list[float] = []
        self.node: list[Data] = []
        self.counting = False
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="capacity-bench")
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(f"cl/v1/agent/{node}/DATA/#", qos=0)
        self.client.loop_start()

    def _message(self, _c: Any, _u: Any, message: Any) -> None:
        # Device DATA is only counted (decoding 50 messages a second here would steal CPU from the
        # simulator, which shares this core); the node's DATA is decoded with the contract codec.
        device = message.topic.split("/")[5] if message.topic.count("/") == 5 else None
        if device is None:
            _, payload = decode(message.topic, bytes(message.payload))
            assert isinstance(payload, Data)
            with self.lock:
                self.node.append(payload)
            return
        if not self.counting:
            return
        found = _DURATION.search(bytes(message.payload))
        with self.lock:
            self.data[device] += 1
            if found:
                self.durations.append(float(found.group(1)))

    def node_value(self, name: str) -> float:
        with self.lock:
            last = self.node[-1] if self.node else None
        return sum(float(s.value) for s in (last.metrics if last else []) if s.name == name)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _big_socket_buffers() -> dict[Path, str]:
    """Let UDP sockets queue bursts (8 MiB; the simulator's socket takes the default size).

    Returns the previous values, restored when the benchmark ends.
    """
    previous: dict[Path, str] = {}
    for key in ("net.core.rmem_max", "net.core.rmem_default"):
        path = Path(f"/proc/sys/{key.replace('.', '/')}")
        try:
            old = path.read_text()
            path.write_text("8388608\n")
        except OSError as exc:
            print(f"cannot raise {key} ({exc.strerror}); run as root or expect drops at the simulator")
            break
        previous[path] = old
    if previous:
        print("net.core.rmem_max and rmem_default set to 8 MiB for this benchmark (restored at the end)")
    return previous


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gnbs", type=int, default=3131)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument(
        "--jitter", type=float, default=0.5, help="poll start spread, fraction of the interval"
    )
    args = parser.parse_args()
    restore = _big_socket_buffers()
    work = Path(tempfile.mkdtemp(prefix="edge-capacity-"))
    broker = Mosquitto(work)
    broker.start()
    fleet, ready, config = work / "fleet.yaml", work / "sim.json", work / "agent.yaml"
    subprocess.run([PY, "-m", "cunlink", "fleet", "generate", "--out", str(fleet)], check=True, cwd=ROOT)
    control = free_port()
    sim = Process(
        [
            "taskset",
            "-c",
            "1",
            PY,
            "-m",
            "cunlink",
            "sim",
            "--fleet",
            str(fleet),
            "--devices",
            str(args.gnbs),
            "--kinds",
            "gnb",
            "--port",
            "0",
            "--control-port",
            str(control),
            "--ready-file",
            str(ready),
            "--agent-config",
            str(config),
            "--mqtt-port",
            str(broker.port),
            "--interval",
            str(args.interval),
            "--node-id",
            "edge-capacity",
        ],
        work / "sim.log",
    )
    sim.start()
    agent: Process | None = None
    listener: Listener | None = None
    try:
        deadline = time.monotonic() + 180
        while not ready.exists():
            if time.monotonic() > deadline or not sim.running:
                sys.exit(f"simulator did not start:\n{sim.output()[-2000:]}")
            time.sleep(0.5)
        data = yaml.safe_load(config.read_text())
        data["agent"]["state_dir"] = str(work / "state")
        data["mqtt"]["wait_for_hub"] = False
        data["poll"]["jitter"] = args.jitter
        config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        listener = Listener(broker.port, "edge-capacity")
        agent = Process(
            [
                "taskset",
                "-c",
                "0",
                PY,
                "-m",
                "cunlink",
                "edge",
                "--config",
                str(config),
                "--log-level",
                "warning",
            ],
            work / "agent.log",
        )
        agent.start()
        assert agent.proc is not None
        print(
            f"{args.gnbs} gNBs, every {args.interval} s, jitter {args.jitter}; warming up one cycle",
            flush=True,
        )
        time.sleep(args.interval + 5)
        with listener.lock:
            listener.counting = True
        polls0, cpu0, t0 = (
            listener.node_value("edge_poll_cycles_total"),
            proc_cpu(agent.proc.pid),
            time.monotonic(),
        )
        udp0 = udp_drops()
        sim0 = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{control}/stats").read())["cpu_s"]
        time.sleep(args.cycles * args.interval)
        with listener.lock:
            listener.counting = False
        cpu, elapsed = proc_cpu(agent.proc.pid) - cpu0, time.monotonic() - t0
        sim_stats = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{control}/stats").read())
        sim_cpu = sim_stats["cpu_s"] - sim0
        udp1 = udp_drops()
        polls = listener.node_value("edge_poll_cycles_total") - polls0
        per_device = [listener.data.get(f"gnb-{n:04d}", 0) for n in range(1, args.gnbs + 1)]
        durations = sorted(listener.durations)
        print(f"measured {elapsed:.0f} s = {args.cycles} cycles")
        print(f"DATA per device: min {min(per_device)}, max {max(per_device)} (goal {args.cycles})")
        print(f"devices with fewer than {args.cycles}: {sum(1 for n in per_device if n < args.cycles)}")
        print(f"agent: skipped slots {listener.node_value('edge_poll_skipped_total'):.0f}, failed polls "
              f"{listener.node_value('edge_poll_failures_total'):.0f}, SNMP timeouts "
              f"{listener.node_value('edge_snmp_timeouts_total'):.0f} (totals since start)")  # fmt: skip
        print(f"agent CPU {cpu:.1f} s in {elapsed:.0f} s = {100 * cpu / elapsed:.0f} % of one core; "
              f"{1000 * cpu / max(polls, 1):.2f} ms per device poll ({polls:.0f} polls)")  # fmt: skip
        print(f"poll duration (wall) p50 {statistics.median(durations) * 1000:.0f} ms, "
              f"p99 {durations[int(len(durations) * 0.99)] * 1000:.0f} ms")  # fmt: skip
        print(
            "kernel UDP during the measurement:",
            {k: udp1[k] - udp0[k] for k in ("InDatagrams", "RcvbufErrors", "InErrors")},
        )
        share = 100 * sim_cpu / elapsed
        print(f"simulator CPU {sim_cpu:.1f} s = {share:.0f} % of a core; v2c {sim_stats['v2c']}")
    finally:
        if listener is not None:
            listener.close()
        if agent is not None:
            agent.stop()
            print("agent log tail:", agent.output()[-800:])
        sim.stop()
        broker.stop()
        for path, value in restore.items():
            path.write_text(value)


if __name__ == "__main__":
    main()
