"""The fleet inventory in SQLite: nodes, devices, software versions, first/last seen, transitions.

It is written from the session model (never the other way round, except at start-up,
when the last known inventory is restored so that a restarted hub knows every node and
device at once and can tell "not re-born yet" from "offline").
"""

from hub.inventory.recorder import Inventory

__all__ = ["Inventory"]
