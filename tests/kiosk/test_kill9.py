"""kill -9 during submission loses nothing: the restarted kiosk replays the same id until stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from contract import payloads as p
from tests.kiosk.conftest import KioskFactory
from tests.kiosk.hubstub import HubStub
from tests.support.services import Mosquitto

pytestmark = pytest.mark.mosquitto


def test_kill_9_after_the_receipt_is_shown_loses_nothing(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, tmp_path: Path, qtbot: QtBot
) -> None:
    hub = HubStub(mosquitto.host, mosquitto.port, answering=False)  # the reply never comes in time
    data = tmp_path / "kiosk"
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("kill9_child.py")),
            str(data),
            mosquitto.host,
            str(mosquitto.port),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        cwd=root,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("SHOWN "), line
        _, rid, *parts = line.split()
        code = "".join(parts)
        qtbot.waitUntil(lambda: rid in hub.ids(), timeout=5000)  # published, not acknowledged
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    hub.answering = True
    kiosk = make_kiosk(broker=(mosquitto.host, mosquitto.port), data=data)
    qtbot.waitUntil(lambda: kiosk.sync.outbox.depth() == 0, timeout=10000)
    replays = [r for _, r in hub.requests if r.id == rid]
    assert len(replays) >= 2
    assert all(isinstance(r.body, p.Appeal) for r in replays)
    assert replays[-1].body.text == "自来水浑浊，三天了"  # type: ignore[union-attr]
    assert list(hub.stored) == [rid], "exactly one record at the hub"
    local = kiosk.sync.receipts.find(code)
    assert local is not None
    assert local.hub_receipt == hub.stored[rid]
    hub.stop()
