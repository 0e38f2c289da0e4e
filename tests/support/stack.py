"""The programs themselves (simulator, hub, edge agent) as subprocesses, as the demo runs them."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port, wait_tcp
from tests.support.services import Process

PY = sys.executable


def cunlink(*args: str) -> list[str]:
    """argv of a ``cunlink`` command run with the test's interpreter."""
    return [PY, "-m", "cunlink", *args]


def http_get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        body: bytes = resp.read()
        return body.decode()


def http_post_json(url: str, body: object, timeout: float = 5.0) -> str:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        out: bytes = resp.read()
        return out.decode()


def metric_value(exposition: str, name: str, labels: dict[str, str]) -> float | None:
    """The value of one series in a text exposition, or None when it is absent."""
    for line in exposition.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line[: line.rindex("}") + 1]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


@dataclass
class Stack:
    """Simulator, hub and edge agent wired to one broker, each a real process."""

    workdir: Path
    fleet: Path
    mqtt_port: int
    devices: int = 3
    interval: int = 2
    procs: dict[str, Process] = field(default_factory=dict)
    sim_info: dict[str, object] = field(default_factory=dict)
    http_port: int = 0
    control_port: int = 0

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.control_port}"

    @property
    def agent_config(self) -> Path:
        return self.workdir / "edge-agent.yaml"

    def start(self) -> None:
        self.control_port = free_port()
        ready = self.workdir / "sim-ready.json"
        self._run(
            "sim",
            cunlink(
                "sim",
                "--fleet",
                str(self.fleet),
                "--devices",
                str(self.devices),
                "--port",
                "0",
                "--control-port",
                str(self.control_port),
                "--ready-file",
                str(ready),
                "--agent-config",
                str(self.agent_config),
                "--mqtt-host",
                "127.0.0.1",
                "--mqtt-port",
                str(self.mqtt_port),
                "--interval",
                str(self.interval),
                "--node-id",
                "edge-test-1",
            ),
        )
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert self.procs["sim"].running, self.procs["sim"].output()
            assert time.monotonic() < deadline, "simulator never became ready"
            time.sleep(0.1)
        self.sim_info = json.loads(ready.read_text())
        self.http_port = free_port()
        self._run(
            "hub",
            cunlink(
                "hub",
                "--mqtt-host",
                "127.0.0.1",
                "--mqtt-port",
                str(self.mqtt_port),
                "--http-host",
                "127.0.0.1",
                "--http-port",
                str(self.http_port),
                "--data-dir",
                str(self.workdir / "hub-data"),
            ),
        )
        wait_tcp("127.0.0.1", self.http_port, timeout=30)
        self._run("edge", cunlink("edge", "--config", str(self.agent_config)))

    def _run(self, name: str, argv: list[str]) -> None:
        env = {**os.environ, "STATE_DIRECTORY": str(self.workdir / "state")}
        proc = Process(argv, self.workdir / f"{name}.log", env=env)
        proc.start()
        self.procs[name] = proc

    def stop(self) -> None:
        for name in ("edge", "hub", "sim"):
            if name in self.procs:
                self.procs[name].stop()

    def logs(self) -> str:
        return "\n".join(f"--- {n}\n{p.output()[-3000:]}" for n, p in self.procs.items())
