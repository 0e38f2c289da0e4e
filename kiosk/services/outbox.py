"""The outbox: everything a villager submits, kept on disk until the hub acknowledges it.

A request is written (and fsynced) before the screen says "received"; it is
re-published with the same id until a Reply says ``stored`` or ``duplicate``,
because QoS 1 alone is at-least-once and paho keeps in-flight messages only in
memory. The hub deduplicates on the id, so replays never create two records.

An appeal's voice note travels as MediaChunk requests queued in the same transaction,
right after the appeal; chunk ``i`` of request ``R`` has the id ``R.m<i>`` (see
``media_id``), so the chunks of one appeal can be found, dropped and counted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from contract import payloads as p
from kiosk.services.ids import request_id
from kiosk.services.store import Store

_BODY = msgspec.json.Decoder(p.RequestBody)
_ENC = msgspec.json.Encoder()
_INSERT = "INSERT INTO outbox(id, kind, body, created_ms, assisted_by, live) VALUES (?, ?, ?, ?, ?, ?)"


def media_id(rid: str, chunk: int) -> str:
    """The client id of chunk ``chunk`` of the media of request ``rid``."""
    return f"{rid}.m{chunk}"


def media_owner(chunk_id: str) -> str:
    """The request whose media chunk ``chunk_id`` is (request ids never contain a dot)."""
    return chunk_id.partition(".")[0]


def _media_like(rid: str) -> str:
    return f"{rid}.m%"


@dataclass(frozen=True, slots=True)
class Pending:
    """One unacknowledged request as it will be (re)published."""

    id: str
    kind: str
    body: p.RequestBody
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
        media: Sequence[p.MediaChunk] = (),
    ) -> str:
        """Store a new request (and after it its ``media`` chunks) durably, in one fsynced
        transaction, and return its id."""
        rid = rid or request_id()
        now = self.store.clock()
        rows: list[tuple[object, ...]] = [
            (rid, str(type(body).__struct_config__.tag), _ENC.encode(body), now, assisted_by, int(live))
        ]
        rows += [
            (media_id(rid, c.chunk), "media", _ENC.encode(c), now, assisted_by, int(live)) for c in media
        ]
        self.store.write_many(_INSERT, rows)
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

    def drop_media(self, rid: str) -> int:
        """Undo or withdrawal of ``rid``: its media chunks still waiting are not sent."""
        return self.store.write(
            "DELETE FROM outbox WHERE id LIKE ? AND state = 'pending'", (_media_like(rid),)
        )

    def media_left(self, rid: str) -> int:
        """How many media chunks of ``rid`` the hub has not acknowledged (pending or rejected)."""
        rows = self.store.query("SELECT COUNT(*) AS n FROM outbox WHERE id LIKE ?", (_media_like(rid),))
        return int(rows[0]["n"])

    def contains(self, rid: str) -> bool:
        """Whether ``rid`` still waits for the hub."""
        return bool(self.store.query("SELECT 1 FROM outbox WHERE id = ? AND state = 'pending'", (rid,)))

    def depth(self) -> int:
        """How many submissions wait for the hub (an appeal's media chunks are not counted:
        the status line says "N件待上传" to villagers, and a voice note is part of its appeal)."""
        rows = self.store.query(
            "SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending' AND kind != 'media'"
        )
        return int(rows[0]["n"])

    def media_depth(self) -> int:
        """How many media chunks wait for the hub."""
        rows = self.store.query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending' AND kind = 'media'")
        return int(rows[0]["n"])

    def rejected(self) -> int:
        """How many requests the hub refused (kept for operators)."""
        return int(self.store.query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'rejected'")[0]["n"])

    def oldest_age_s(self) -> float:
        """Age of the oldest pending request in seconds (0 when empty)."""
        rows = self.store.query("SELECT MIN(created_ms) AS m FROM outbox WHERE state = 'pending'")
        oldest = rows[0]["m"]
        return 0.0 if oldest is None else max(0.0, (self.store.clock() - oldest) / 1000)
