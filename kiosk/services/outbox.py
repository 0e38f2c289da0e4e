"""The outbox: everything a villager submits, kept on disk until the hub acknowledges it.

A request is written (and fsynced) before the screen says "received"; it is
re-published with the same id until a Reply says ``stored`` or ``duplicate``,
because QoS 1 alone is at-least-once and paho keeps in-flight messages only in
memory. The hub deduplicates on the id, so replays never create two records.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import msgspec

from contract import payloads as p
from kiosk.services.ids import request_id
from kiosk.services.store import Store

_BODY = msgspec.json.Decoder(p.RequestBody)
_ENC = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Pending:
    """One unacknowledged request as it will be (re)published."""

    id: str
    kind: str
    body: p.Appeal | p.Rating | p.Vote | p.HelpCall | p.ReceiptQuery | p.Withdraw
    created_ms: int
    assisted_by: str | None
    live: bool
    attempts: int


def _pending(r: sqlite3.Row) -> Pending:
    return Pending(
        id=r["id"],
        kind=r["kind"],
        body=_BODY.decode(r["body"]),
        created_ms=r["created_ms"],
        assisted_by=r["assisted_by"],
        live=bool(r["live"]),
        attempts=r["attempts"],
    )


class Outbox:
    """Durable queue of Requests keyed by their client id."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        body: p.Appeal | p.Rating | p.Vote | p.HelpCall | p.Withdraw,
        *,
        assisted_by: str | None,
        live: bool,
        rid: str | None = None,
    ) -> str:
        """Store a new request durably and return its id (the commit is fsynced)."""
        rid = rid or request_id()
        kind = type(body).__struct_config__.tag
        self.store.write(
            "INSERT INTO outbox(id, kind, body, created_ms, assisted_by, live) VALUES (?, ?, ?, ?, ?, ?)",
            (rid, str(kind), _ENC.encode(body), self.store.clock(), assisted_by, int(live)),
        )
        return rid

    def due(self, retry_ms: int, limit: int = 50) -> list[Pending]:
        """Pending requests never sent or last sent more than ``retry_ms`` ago, oldest first."""
        cutoff = self.store.clock() - retry_ms
        rows = self.store.query(
            "SELECT * FROM outbox WHERE state = 'pending'"
            " AND (last_attempt_ms IS NULL OR last_attempt_ms <= ?)"
            " ORDER BY created_ms, rowid LIMIT ?",
            (cutoff, limit),
        )
        return [_pending(r) for r in rows]

    def get(self, rid: str) -> Pending | None:
        """The pending request ``rid``, or None when it is settled or unknown."""
        rows = self.store.query("SELECT * FROM outbox WHERE id = ? AND state = 'pending'", (rid,))
        return _pending(rows[0]) if rows else None

    def attempted(self, rid: str) -> None:
        """Record one publish attempt (the retry clock restarts)."""
        self.store.write(
            "UPDATE outbox SET attempts = attempts + 1, last_attempt_ms = ? WHERE id = ?",
            (self.store.clock(), rid),
        )

    def acknowledge(self, rid: str) -> bool:
        """The hub stored it: drop it (and with it the appeal text). True if it was ours."""
        return self.store.write("DELETE FROM outbox WHERE id = ?", (rid,)) > 0

    def reject(self, rid: str, detail: str) -> None:
        """The hub refused it: keep it, stop replaying, and let operators see it."""
        self.store.write("UPDATE outbox SET state = 'rejected', detail = ? WHERE id = ?", (detail, rid))

    def discard_unsent(self, rid: str) -> bool:
        """Undo before upload: delete a request that was never published (it left no trace)."""
        return (
            self.store.write("DELETE FROM outbox WHERE id = ? AND state = 'pending' AND attempts = 0", (rid,))
            > 0
        )

    def contains(self, rid: str) -> bool:
        """Whether ``rid`` still waits for the hub."""
        return bool(self.store.query("SELECT 1 FROM outbox WHERE id = ? AND state = 'pending'", (rid,)))

    def depth(self) -> int:
        """How many requests wait for the hub."""
        return int(self.store.query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")[0]["n"])

    def rejected(self) -> int:
        """How many requests the hub refused (kept for operators)."""
        return int(self.store.query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'rejected'")[0]["n"])

    def oldest_age_s(self) -> float:
        """Age of the oldest pending request in seconds (0 when empty)."""
        rows = self.store.query("SELECT MIN(created_ms) AS m FROM outbox WHERE state = 'pending'")
        oldest = rows[0]["m"]
        return 0.0 if oldest is None else max(0.0, (self.store.clock() - oldest) / 1000)
