"""`cunlink demo` includes the kiosk: with no display it runs offscreen with scripted villagers,
its config is in the demo workdir, and its BIRTH reaches the demo's hub (cl_node_up, cl_node_info)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.cunlink.test_demo import _run_demo, _stop_and_check
from tests.support.stack import cunlink, http_get, metric_value

pytestmark = [pytest.mark.slow, pytest.mark.snmpd, pytest.mark.mosquitto]


def _node_series(url: str, node: str) -> tuple[float | None, float | None]:
    try:
        text = http_get(url)
    except OSError:
        return None, None
    return (
        metric_value(text, "cl_node_up", {"node": node, "kind": "kiosk"}),
        metric_value(text, "cl_node_info", {"node": node, "kind": "kiosk", "version": "0.1.0"}),
    )


def test_demo_runs_simulated_kiosks_whose_birth_reaches_the_hub(tmp_path: Path) -> None:
    work = tmp_path / "demo"
    headless = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc, http_port, started = _run_demo(tmp_path, 2, "--kiosks", "2", env=headless)
    url = f"http://127.0.0.1:{http_port}/metrics"
    try:
        seen: dict[str, tuple[float | None, float | None]] = {}
        while time.monotonic() - started < 90:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            seen = {node: _node_series(url, node) for node in ("kiosk-0001", "kiosk-0002")}
            if all(series == (1.0, 1.0) for series in seen.values()):
                break
            time.sleep(1)
        assert all(series == (1.0, 1.0) for series in seen.values()), f"kiosk BIRTHs not at the hub: {seen}"
        # Scripted villagers use the kiosks: requests (appeals, ratings, votes) reach the hub.
        requests = 0.0
        while time.monotonic() - started < 150 and requests < 1:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            requests = (
                metric_value(http_get(url), "cl_hub_messages_total", {"verb": "REQ", "status": "ok"}) or 0
            )
            time.sleep(1)
        assert requests >= 1, "no villager request reached the hub"
        # Configs are in the workdir, pointed at the demo's broker; no display: no speech, scripted villagers.
        conf = yaml.safe_load((work / "kiosks" / "kiosk-0001.yaml").read_text(encoding="utf-8"))
        assert conf["voice"] == {"engine": "none"}
        assert conf["kiosk"]["data_dir"].startswith(str(work))
        log = (work / "logs" / "kiosk-0001.log").read_text(errors="replace")
        assert "Traceback" not in log, log[-2000:]
    finally:
        if proc.poll() is None:
            out = _stop_and_check(proc)
            assert "kiosks          2 (offscreen, scripted villagers)" in out, out


def test_demo_help_names_the_kiosk_options() -> None:
    run = subprocess.run(cunlink("demo", "--help"), capture_output=True, text=True, timeout=60, check=False)
    assert "--kiosks" in run.stdout
    assert "--no-kiosk" in run.stdout
