"""The store: migrations with a backup first, one writer, durable writes, readers on WAL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations

from hub.store import Store, StoreError


def _migrations(count: int) -> Migrations:
    migrations = Migrations("test")

    @migrations(name="m001_items")
    def m001(db: sqlite_utils.Database) -> None:
        db["items"].create({"id": int, "name": str}, pk="id")

    if count > 1:

        @migrations(name="m002_items_note")
        def m002(db: sqlite_utils.Database) -> None:
            db["items"].add_column("note", str)

    return migrations


async def test_migrates_and_backs_up_before_a_pending_migration(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    store = Store(path, _migrations(1))
    assert await store.open() == ["m001_items"]
    await store.write(lambda db: db["items"].insert({"id": 1, "name": "a"}))
    await store.close()
    assert not list(tmp_path.glob("*.bak")), "a new database needs no backup"

    store = Store(path, _migrations(2))
    assert await store.open() == ["m002_items_note"]
    await store.close()
    backups = list(tmp_path.glob("hub.db.*.bak"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert [r[1] for r in old.execute("PRAGMA table_info(items)")] == ["id", "name"]
    assert old.execute("select name from items").fetchall() == [("a",)]
    old.close()

    store = Store(path, _migrations(2))
    assert await store.open() == []
    await store.close()


async def test_failed_write_rolls_back_and_is_counted(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.db", _migrations(1))
    await store.open()

    def half_then_fail(db: sqlite_utils.Database) -> None:
        db["items"].insert({"id": 1, "name": "kept?"})
        db["items"].insert({"id": 1, "name": "duplicate key"})

    with pytest.raises(StoreError, match="UNIQUE"):
        await store.write(half_then_fail)
    assert await store.read(lambda db: db["items"].count) == 0
    assert store.write_errors_total == 1
    await store.close()


async def test_concurrent_writes_are_serialised_and_readers_see_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.db", _migrations(1))
    await store.open()

    def add(i: int) -> None:
        def fn(db: sqlite_utils.Database) -> None:
            count = db["items"].count
            db["items"].insert({"id": i, "name": f"n{count}"})

        return fn  # type: ignore[return-value]

    await asyncio.gather(*(store.write(add(i)) for i in range(200)))
    names = await store.read(lambda db: sorted(r["name"] for r in db["items"].rows))
    assert names == sorted(f"n{i}" for i in range(200)), "each write saw every earlier one"
    assert store.writes_total == 200
    await store.close()


async def test_readers_cannot_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "hub.db", _migrations(1))
    await store.open()
    with pytest.raises(StoreError, match="readonly"):
        await store.read(lambda db: db["items"].insert({"id": 1, "name": "x"}))
    await store.close()


async def test_unopenable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = Store(blocker / "hub.db", _migrations(1))
    with pytest.raises(StoreError, match="cannot open"):
        await store.open()
