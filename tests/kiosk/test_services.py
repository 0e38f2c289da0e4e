"""Config, store, content cache, ids, watchdog, keyboard privacy and the simulator."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from contract import payloads as p
from contract.configfile import ConfigError
from cunlink.validate import main as validate_main
from kiosk.config import load, validate_config_file
from kiosk.services import keyboard
from kiosk.services.ids import CROCKFORD, normalise_code, qr_payload, receipt_code
from kiosk.services.outbox import Outbox
from kiosk.services.recorder import ScriptedRecorder
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
    k = make_kiosk(recorder=ScriptedRecorder())
    done: list[bool] = []
    sim = Villagers(k, sessions=30, think_ms=1, seed=7, on_done=lambda: done.append(True))
    sim.start()
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    # 30 seeded villagers: enough that typing and speaking both occur (0.6 x 0.3 speak).
    assert sim.done_sessions == 30
    assert k.sessions_total == 30
    assert len(k.store.query("SELECT * FROM events")) == 30
    appeals = [x.body for x in Outbox(k.store).due(0, limit=1000) if isinstance(x.body, p.Appeal)]
    assert any(a.voice_ref for a in appeals), "some villagers speak instead of typing"
    assert any(a.text for a in appeals)
    assert len(k.voice_files.pending()) == sum(1 for a in appeals if a.voice_ref)


def test_a_v1_store_is_migrated_keeping_outbox_and_receipts(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "k.db"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE outbox (id TEXT PRIMARY KEY, kind TEXT NOT NULL, body BLOB NOT NULL,
            created_ms INTEGER NOT NULL, assisted_by TEXT, live INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
            last_attempt_ms INTEGER, detail TEXT NOT NULL DEFAULT '');
        CREATE TABLE receipts (code TEXT PRIMARY KEY, request_id TEXT NOT NULL UNIQUE,
            category TEXT NOT NULL, created_ms INTEGER NOT NULL, hub_receipt TEXT,
            status TEXT NOT NULL DEFAULT 'pending', status_notes TEXT NOT NULL DEFAULT '',
            updated_ms INTEGER NOT NULL);
        CREATE TABLE content (kind TEXT PRIMARY KEY, version TEXT NOT NULL, body TEXT NOT NULL,
            updated_ms INTEGER NOT NULL);
        INSERT INTO outbox(id, kind, body, created_ms, live) VALUES ('R1', 'help_call',
            '{"type":"help_call","village":"v1"}', 1, 1);
        INSERT INTO receipts(code, request_id, category, created_ms, updated_ms)
            VALUES ('K7Q3M0', 'R1', 'x', 1, 1);
        PRAGMA user_version=1;
        """
    )
    db.close()
    store = Store(path)
    assert store.query("PRAGMA user_version")[0][0] == 2
    assert store.query("SELECT name FROM sqlite_master WHERE name = 'content'") == []
    assert store.query("SELECT id FROM outbox")[0]["id"] == "R1"
    assert store.query("SELECT hub_updated_ms FROM receipts")[0]["hub_updated_ms"] == 0
    store.close()
