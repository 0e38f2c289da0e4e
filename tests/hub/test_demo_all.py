"""`cunlink demo --all`: several agents (one per county) feed the hub; a real Prometheus scrapes it.

Slow (the whole city is simulated: 7,026 SNMP devices, five agents), so it checks what the
acceptance needs and stops: Prometheus has scraped the hub successfully, and promtool
accepts the hub's exposition.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.stack import cunlink, http_get

pytestmark = [pytest.mark.slow, pytest.mark.mosquitto, pytest.mark.prometheus, pytest.mark.timeout(300)]


def test_demo_all_is_scraped_by_prometheus_and_passes_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None or shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed")
    http_port = free_port()
    proc = subprocess.Popen(
        cunlink("demo", "--all", "--workdir", str(tmp_path / "demo"), "--http-port", str(http_port),
                "--mqtt-port", str(free_port()), "--interval", "30",
                "--prometheus-port", str(free_port())),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        prom_url = None
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        while prom_url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "the demo exited"
            if line.strip().startswith("Prometheus"):
                prom_url = line.split()[1]
        assert prom_url, "the demo did not start Prometheus"
        agents = sorted(p.name for p in (tmp_path / "demo").glob("edge-agent-*.yaml"))
        assert len(agents) == 5, agents
        query = urllib.parse.quote('up{job="cunlink-hub"} == 1 and on() cl_hub_devices{state="online"} > 100')
        while time.monotonic() < deadline:
            try:
                result = json.loads(http_get(f"{prom_url}/api/v1/query?query={query}"))["data"]["result"]
            except OSError:
                result = []
            if result:
                break
            time.sleep(2)
        assert result, "Prometheus never scraped a hub with devices online"
        # The whole city renders in about 15 s alone; give it room on a busy 2-core machine.
        text = http_get(f"http://127.0.0.1:{http_port}/metrics", timeout=120)
        check = subprocess.run(
            [promtool, "check", "metrics"],
            input=text,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=90)
