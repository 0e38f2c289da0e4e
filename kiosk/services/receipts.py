"""Receipt codes issued by this kiosk and the last status the hub told us about them.

The villager gets a 6-symbol code at once, even offline, and the Appeal carries it
(``Appeal.receipt``): the hub adopts it when it is free, so the printed code works at
every kiosk. When it is taken, the Reply carries the code the hub assigned instead;
it is kept beside ours, so a lookup by our code still works here (translated to the
hub's for the query), and the receipt screen shows the hub's code if it is still up.
No personal data is stored here: code, request id, category, status.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.services.ids import receipt_code
from kiosk.services.store import Store


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the kiosk knows about one receipt."""

    code: str
    request_id: str
    category: str
    hub_receipt: str | None
    status: str
    status_notes: str
    updated_ms: int


class Receipts:
    """Table of receipts; all writes are durable (see Store)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def issue(self, request_id: str, category: str) -> str:
        """Issue a fresh code for ``request_id`` (retrying the rare clash with an older code)."""
        now = self.store.clock()
        for _ in range(20):
            code = receipt_code()
            if not self.store.query("SELECT 1 FROM receipts WHERE code = ?", (code,)):
                self.store.write(
                    "INSERT INTO receipts(code, request_id, category, created_ms, updated_ms)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (code, request_id, category, now, now),
                )
                return code
        msg = "could not find a free receipt code"
        raise RuntimeError(msg)

    def stored(self, request_id: str, hub_receipt: str | None) -> str | None:
        """The hub stored the appeal; returns the hub's code when it is not the one we issued."""
        self.store.write(
            "UPDATE receipts SET hub_receipt = COALESCE(?, hub_receipt), status = CASE status"
            " WHEN 'pending' THEN 'received' ELSE status END, updated_ms = ? WHERE request_id = ?",
            (hub_receipt, self.store.clock(), request_id),
        )
        rows = self.store.query("SELECT code FROM receipts WHERE request_id = ?", (request_id,))
        if rows and hub_receipt and hub_receipt != rows[0]["code"]:
            return hub_receipt
        return None

    def update_status(self, receipt: str, status: str, notes: str, updated_ms: int = 0) -> bool:
        """A status from the hub, by either code; True if it is one of ours and not older."""
        return (
            self.store.write(
                "UPDATE receipts SET status = ?, status_notes = ?, updated_ms = ?,"
                " hub_updated_ms = MAX(hub_updated_ms, ?)"
                " WHERE (code = ? OR hub_receipt = ?) AND hub_updated_ms <= ?",
                (status, notes, self.store.clock(), updated_ms, receipt, receipt, updated_ms or 2**62),
            )
            > 0
        )

    def mark_withdrawn(self, request_id: str) -> None:
        """The hub confirmed a withdrawal."""
        self.store.write(
            "UPDATE receipts SET status = 'withdrawn', status_notes = '', updated_ms = ?"
            " WHERE request_id = ?",
            (self.store.clock(), request_id),
        )

    def withdraw(self, request_id: str) -> None:
        """Forget a receipt whose request was undone before upload."""
        self.store.write("DELETE FROM receipts WHERE request_id = ?", (request_id,))

    def find(self, code: str) -> Receipt | None:
        """Look a receipt up by the kiosk code or the hub's receipt."""
        rows = self.store.query("SELECT * FROM receipts WHERE code = ? OR hub_receipt = ?", (code, code))
        if not rows:
            return None
        r = rows[0]
        return Receipt(
            code=r["code"],
            request_id=r["request_id"],
            category=r["category"],
            hub_receipt=r["hub_receipt"],
            status=r["status"],
            status_notes=r["status_notes"],
            updated_ms=r["updated_ms"],
        )
