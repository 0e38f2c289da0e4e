"""`cunlink kiosk --config FILE` as a process: scripted villagers, a clean SIGTERM, safe mode."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from pytestqt.qtbot import QtBot

from tests.kiosk.hubstub import HubStub
from tests.support.services import Mosquitto
from tests.support.stack import cunlink

ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, data: Path, port: int) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "kiosk": {
                    "node_id": "kiosk-bz-0042",
                    "village": {"id": "bz-t01-v01", "name": "兴隆村"},
                    "township": {"id": "bz-t01", "name": "兴隆镇"},
                    "data_dir": str(data),
                },
                "mqtt": {"host": "127.0.0.1", "port": port},
                "voice": {"engine": "none"},
                "ui": {"fullscreen": False},
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


def run_kiosk(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        cunlink("kiosk", *args),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.mosquitto
def test_cunlink_kiosk_runs_scripted_villagers_and_stops_cleanly_on_sigterm(
    mosquitto: Mosquitto, tmp_path: Path, qtbot: QtBot
) -> None:
    hub = HubStub(mosquitto.host, mosquitto.port)
    conf = write_config(tmp_path / "kiosk.yaml", tmp_path / "data", mosquitto.port)
    try:
        # --simulate 1: one scripted villager, then the process exits by itself.
        done = run_kiosk("--config", str(conf), "--simulate", "1")
        out, _ = done.communicate(timeout=90)
        assert done.returncode == 0, out[-3000:]
        assert [b.labels["village"] for b in hub.of("BIRTH")] == ["bz-t01-v01"]
        qtbot.waitUntil(lambda: len(hub.of("EVENT")) == 1, timeout=5000)
        assert hub.of("EVENT")[0].event == "session_end"
        assert len(hub.of("DEATH")) == 1, "a clean exit says DEATH itself"
        # A running kiosk (no villagers) stops on SIGTERM as systemd does it: DEATH, exit 0.
        kiosk = run_kiosk("--config", str(conf))
        qtbot.waitUntil(lambda: len(hub.of("BIRTH")) == 2, timeout=30000)
        kiosk.send_signal(signal.SIGTERM)
        out, _ = kiosk.communicate(timeout=30)
        assert kiosk.returncode == 0, out[-3000:]
        qtbot.waitUntil(lambda: len(hub.of("DEATH")) == 2, timeout=5000)
        assert hub.of("DEATH")[1].bd_seq == hub.of("BIRTH")[1].bd_seq
    finally:
        hub.stop()


def test_a_broken_config_starts_safe_mode_instead_of_crash_looping(tmp_path: Path) -> None:
    conf = tmp_path / "kiosk.yaml"
    conf.write_text("kiosk:\n  node_id: kiosk-1\n  colour: red\n", encoding="utf-8")
    kiosk = run_kiosk("--config", str(conf))
    try:
        time.sleep(3)
        assert kiosk.poll() is None, "safe mode keeps running (systemd would restart a crash forever)"
    finally:
        kiosk.send_signal(signal.SIGTERM)
        out, _ = kiosk.communicate(timeout=30)
    assert kiosk.returncode == 0
    assert "safe mode" in out
    assert "kiosk.yaml:3" in out
