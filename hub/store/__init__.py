"""SQLite storage of the hub: one writer thread, WAL, migrations with a backup first."""

from hub.store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
