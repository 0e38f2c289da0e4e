"""The SQLite outbox: stored compressed, bounded by bytes and age, telemetry dropped before alarms."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from contract.payloads import Alarm, Data, Event, Sample
from edge_agent.outbox import ALARMS, TELEMETRY, Outbox, default_max_bytes
from edge_agent.store import Store, StoreError
from tests.edge_agent.conftest import FakeClock

NODE = "cl/v1/agent/edge-t1"


def _data(clock: FakeClock, n: int = 40) -> Data:
    metrics = [
        Sample(name="if_hc_in_octets", value=i * 1000, labels={"ifname": f"gei-0/1/{i}"}) for i in range(n)
    ]
    return Data(ts=clock.wall_ms(), seq=0, metrics=metrics)


def _alarm(clock: FakeClock) -> Alarm:
    return Alarm(ts=clock.wall_ms(), seq=0, alarm="link_down", state="raised", resource="gei-0/9/a")


def test_messages_survive_a_restart_in_order_and_intact(tmp_path: Path, clock: FakeClock) -> None:
    store = Store(tmp_path / "edge.db")
    outbox = Outbox(store, clock, max_bytes=10**9)
    sent = [_data(clock), _alarm(clock), Event(ts=clock.wall_ms(), seq=0, event="device_reboot")]
    topics = [f"{NODE}/DATA/gnb-1", f"{NODE}/ALARM/gnb-1", f"{NODE}/EVENT/gnb-1"]
    ids = [outbox.add(t, m) for t, m in zip(topics, sent, strict=True)]
    assert ids == sorted(ids)
    store.close()

    reopened = Store(tmp_path / "edge.db")
    assert reopened.rows == 3
    rows = reopened.read(0, 10**9, 10)
    assert [r[0] for r in rows] == ids
    assert [Outbox.decode(r[1], r[4]) for r in rows] == sent
    # Compressed: forty samples of JSON take far fewer bytes on disk.
    assert len(rows[0][4]) < len(b"".join(s.name.encode() for s in sent[0].metrics))  # type: ignore[union-attr]
    assert reopened.bytes > 0


def test_over_the_byte_bound_the_oldest_telemetry_goes_first_and_alarms_last(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = Store(tmp_path / "edge.db")
    outbox = Outbox(store, clock, max_bytes=10**9)
    alarm_id = outbox.add(f"{NODE}/ALARM/olt-1", _alarm(clock))
    first = outbox.add(f"{NODE}/DATA/gnb-1", _data(clock))
    for _ in range(30):
        clock.advance(60)
        outbox.add(f"{NODE}/DATA/gnb-1", _data(clock))
    outbox.max_bytes = store.bytes // 2
    clock.advance(60)
    outbox.add(f"{NODE}/DATA/gnb-1", _data(clock))
    assert store.bytes <= outbox.max_bytes
    remaining = [r[0] for r in store.read(0, 10**9, 100)]
    assert alarm_id in remaining  # the older alarm outlives newer telemetry
    assert first not in remaining
    dropped = outbox.drops.by_reason[("telemetry", "bytes")]
    assert dropped >= 15
    assert outbox.dropped_ids  # the delivery is told which rows went

    # With no telemetry left, alarms go too, and are counted apart.
    outbox.max_bytes = 1
    outbox.add(f"{NODE}/ALARM/olt-1", _alarm(clock))
    assert store.rows == 0
    assert outbox.drops.by_reason[("alarm", "bytes")] == 2


def test_the_age_bounds(tmp_path: Path, clock: FakeClock) -> None:
    outbox = Outbox(Store(tmp_path / "edge.db"), clock, max_bytes=10**9, max_age=3600, alarm_max_age=7200)
    outbox.add(f"{NODE}/DATA/gnb-1", _data(clock))
    outbox.add(f"{NODE}/ALARM/gnb-1", _alarm(clock))
    clock.advance(3601)
    outbox.add(f"{NODE}/DATA/gnb-1", _data(clock))  # an age check runs (a minute has passed)
    assert outbox.depth == 2
    assert outbox.drops.by_reason == {("telemetry", "age"): 1}
    clock.advance(3600)
    outbox.trim_age()
    assert outbox.drops.by_reason[("alarm", "age")] == 1
    assert outbox.oldest_ts() == clock.wall_ms() - 3600 * 1000


def test_default_bound_holds_a_day_of_the_whole_site() -> None:
    # 3,131 gNBs every 60 s at up to 3 KiB per compressed DATA.
    assert default_max_bytes(3131, 60) >= 3132 * 1440 * 3 * 1024
    assert default_max_bytes(3, 60) == 64 * 1024 * 1024


def test_priorities_are_what_the_trim_order_assumes() -> None:
    assert TELEMETRY < ALARMS


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "edge.db").close()
    db = sqlite3.connect(tmp_path / "edge.db")
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StoreError, match="newer agent"):
        Store(tmp_path / "edge.db")
