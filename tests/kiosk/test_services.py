"""Config, store, content cache, ids, watchdog, keyboard privacy and the simulator."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from contract.configfile import ConfigError
from cunlink.validate import main as validate_main
from kiosk.config import load, validate_config_file
from kiosk.services import keyboard
from kiosk.services.content import ContentStore
from kiosk.services.ids import CROCKFORD, normalise_code, qr_payload, receipt_code
from kiosk.services.store import Store
from kiosk.services.watchdog import Watchdog, notify
from kiosk.simulate import Villagers
from tests.kiosk.conftest import KioskFactory

GOOD = """\
kiosk:
  node_id: kiosk-bz-0001
  village: {id: bz-t01-v01, name: 兴隆村}
  township: {id: bz-t01, name: 兴隆镇}
  data_dir: /tmp/kiosk-data
assist:
  staff:
    - {id: s01, code: "2468"}
"""


def test_config_valid_masks_secrets_and_is_detected_by_validate_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load(path).timeouts.browse_s == 90
    rendered = validate_config_file(path)
    assert "2468" not in rendered
    assert "兴隆村" in rendered
    assert validate_main([str(path)]) == 0
    assert "valid kiosk config" in capsys.readouterr().out


def test_config_errors_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.yaml"
    path.write_text(
        GOOD.replace("data_dir: /tmp/kiosk-data", "data_dir: /tmp/x\n  colour: red"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"kiosk.yaml:6: kiosk.colour: unknown key"):
        load(path)
    path.write_text(GOOD + "voice: {volume: 90, max_volume: 60}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_volume"):
        load(path)


def test_store_is_wal_and_fully_synchronous(tmp_path: Path) -> None:
    store = Store(tmp_path / "k.db")
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.query("PRAGMA synchronous")[0][0] == 2  # FULL: fsync on every commit
    store.close()


def test_content_cache_takes_only_newer_pushes(tmp_path: Path) -> None:
    store = Store(tmp_path / "k.db")
    content = ContentStore(store)
    assert content.get("categories")["items"][0]["id"] == "roads"
    assert not content.offer("notices", "2025.9", {"version": "2025.9", "items": []})
    assert content.offer("notices", "2026.10", {"version": "2026.10", "items": []})
    assert ContentStore(store).get("notices")["items"] == []  # survives a restart
    store.close()


def test_codes_are_unambiguous_and_the_qr_holds_only_the_code() -> None:
    code = receipt_code()
    assert len(code) == 6
    assert set(code) <= set(CROCKFORD)
    assert normalise_code("k7q-3mo") == "K7Q3M0"
    assert qr_payload("K7Q3M0") == "CL1:K7Q3M0"


def test_watchdog_notifies_systemd(tmp_path: Path, qtbot: QtBot) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(2)
        env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}
        dog = Watchdog(environ=env)
        dog.ready()
        assert sock.recv(64) == b"READY=1"
        qtbot.waitUntil(lambda: dog.pings >= 1, timeout=3000)  # from the GUI-thread timer
        assert sock.recv(64) == b"WATCHDOG=1"
    assert not notify("READY=1", {})


def test_keyboard_blocker_stays_in_place(tmp_path: Path) -> None:
    xdg = keyboard.prepare(tmp_path)
    assert keyboard.learning_blocked(xdg)


def test_simulated_villagers_drive_the_models(make_kiosk: KioskFactory, qtbot: QtBot) -> None:
    k = make_kiosk()
    done: list[bool] = []
    sim = Villagers(k, sessions=3, think_ms=1, seed=7, on_done=lambda: done.append(True))
    sim.start()
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert sim.done_sessions == 3
    assert k.sessions_total == 3
    assert len(k.store.query("SELECT * FROM events")) == 3
