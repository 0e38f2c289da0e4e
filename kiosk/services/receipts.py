"""Receipt codes issued by this kiosk and the last status the hub told us about them.

The villager gets a 6-symbol code at once, even offline. The hub's own work-order
receipt arrives in the Reply and is kept beside it, so a lookup by the kiosk code
works here and is translated to the hub's receipt for the query. No personal data
is stored here: code, request id, category, status.
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

    def stored(self, request_id: str, hub_receipt: str | None) -> None:
        """The hub stored the appeal (possibly under its own receipt)."""
        self.store.write(
            "UPDATE receipts SET hub_receipt = COALESCE(?, hub_receipt), status = CASE status"
            " WHEN 'pending' THEN 'received' ELSE status END, updated_ms = ? WHERE request_id = ?",
            (hub_receipt, self.store.clock(), request_id),
        )

    def update_status(self, receipt: str, status: str, notes: str) -> bool:
        """A status from the hub, by either code; True if it is one of ours."""
        return (
            self.store.write(
                "UPDATE receipts SET status = ?, status_notes = ?, updated_ms = ?"
                " WHERE code = ? OR hub_receipt = ?",
                (status, notes, self.store.clock(), receipt, receipt),
            )
            > 0
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
