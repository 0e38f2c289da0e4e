"""`cunlink demo`: live values of at least 50 simulated base stations within 60 s; Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.stack import cunlink, http_get

pytestmark = [pytest.mark.slow, pytest.mark.snmpd]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _run_demo(
    tmp_path: Path, devices: int, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], int, float]:
    """``cunlink demo`` on free ports in ``tmp_path/demo``: the process, its HTTP port, its start time."""
    http_port = free_port()
    proc = subprocess.Popen(
        cunlink(
            "demo",
            "--devices",
            str(devices),
            "--workdir",
            str(tmp_path / "demo"),
            "--http-port",
            str(http_port),
            "--prometheus-port",
            str(free_port()),
            "--mqtt-port",
            str(free_port()),
            "--interval",
            "10",
            *extra,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    return proc, http_port, time.monotonic()


def _live_gnbs(url: str) -> set[str]:
    try:
        text = http_get(url)
    except OSError:
        return set()
    return set(re.findall(r'^cl_if_hc_in_octets_total\{[^}]*device="(gnb-[^"]+)"', text, re.M))


def _stop_and_check(proc: subprocess.Popen[str]) -> str:
    family = _descendants(proc.pid)
    assert family, "the demo started no processes"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    time.sleep(0.5)
    left = sorted(pid for pid in family if _alive(pid))
    assert not left, f"processes left behind: {left}\n{out}"
    return out


@pytest.mark.mosquitto
def test_demo_shows_50_live_base_stations_within_60_s_and_ctrl_c_stops_all(tmp_path: Path) -> None:
    proc, http_port, started = _run_demo(tmp_path, 50)
    try:
        live: set[str] = set()
        while time.monotonic() - started < 60 and len(live) < 50:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            live = _live_gnbs(f"http://127.0.0.1:{http_port}/metrics")
            time.sleep(1)
        elapsed = time.monotonic() - started
        assert len(live) >= 50, f"only {len(live)} live base stations after {elapsed:.0f} s"
    finally:
        if proc.poll() is None:
            out = _stop_and_check(proc)
            assert "all processes stopped" in out


def test_demo_runs_on_the_embedded_broker(tmp_path: Path) -> None:
    proc, http_port, started = _run_demo(tmp_path, 3, "--broker", "embedded")
    try:
        while time.monotonic() - started < 60 and not _live_gnbs(f"http://127.0.0.1:{http_port}/metrics"):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(1)
        assert _live_gnbs(f"http://127.0.0.1:{http_port}/metrics")
    finally:
        if proc.poll() is None:
            out = _stop_and_check(proc)
            assert "DEMO ONLY" in out or "demo only" in out


def test_demo_kill_9_leaves_no_orphans(tmp_path: Path) -> None:
    proc, _, started = _run_demo(tmp_path, 2, "--broker", "embedded")
    while time.monotonic() - started < 60:
        if len(_descendants(proc.pid)) >= 4:  # broker, simulator, hub, edge agent
            break
        time.sleep(0.5)
    family = _descendants(proc.pid)
    if len(family) < 4:
        proc.kill()
        out, _ = proc.communicate(timeout=30)
        raise AssertionError(f"the demo did not start its programs:\n{out}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in family if _alive(p)]
