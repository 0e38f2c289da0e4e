"""Tables of the inventory database (``<data_dir>/inventory.sqlite``).

One migration per change, never edited once released: the store backs the file up
before applying any pending one.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("inventory")


@migrations(name="m001_inventory")
def _m001(db: sqlite_utils.Database) -> None:
    db.table("nodes").create(
        {
            "kind": str,
            "id": str,
            "online": int,
            "bd_seq": int,
            "version": str,
            "labels": str,
            "devices": str,
            "first_seen": float,
            "last_seen": float,
            "born": float,
            "died": float,
        },
        pk=("kind", "id"),
        not_null={"kind", "id", "online", "bd_seq", "version", "labels", "devices", "first_seen"},
    )
    db.table("devices").create(
        {
            "id": str,
            "node_kind": str,
            "node": str,
            "kind": str,
            "online": int,
            "labels": str,
            "first_seen": float,
            "last_seen": float,
            "born": float,
            "died": float,
            "death_reason": str,
        },
        pk="id",
        not_null={"id", "node_kind", "node", "kind", "online", "labels", "first_seen"},
    )
    db.table("devices").create_index(["node_kind", "node"])
    db.table("versions").create(
        {"kind": str, "node": str, "version": str, "first_seen": float, "last_seen": float},
        pk=("kind", "node", "version"),
    )
    db.table("transitions").create(
        {
            "seq": int,
            "ts": float,
            "entity": str,
            "id": str,
            "kind": str,
            "node": str,
            "state": str,
            "previous": str,
            "reason": str,
        },
        pk="seq",
    )
    db.table("transitions").create_index(["entity", "id", "ts"])
    db.table("transitions").create_index(["ts"])
