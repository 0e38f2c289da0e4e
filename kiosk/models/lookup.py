"""Receipt status lookup: ask the hub when online, else show the last status we were told.

A code issued here is translated to the hub's receipt for the query. Status pushes
from the hub (CMD receipt_status) update the cache and the screen while it shows.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from contract import payloads as p
from kiosk.models.session import Session
from kiosk.models.status import china_date, label
from kiosk.models.voice import Voice
from kiosk.services.ids import normalise_code
from kiosk.services.sync import Sync


class Lookup(QObject):
    """The 查询进度 screen."""

    changed = Signal()

    def __init__(
        self, sync: Sync, voice: Voice, session: Session, wait_s: float, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.sync = sync
        self.voice = voice
        self.session = session
        self._wait = QTimer(self)
        self._wait.setSingleShot(True)
        self._wait.setInterval(int(wait_s * 1000))
        self._wait.timeout.connect(self._timed_out)
        sync.queryAnswered.connect(self._answered)
        sync.receiptStatus.connect(self._pushed)
        self.reset()

    def reset(self) -> None:
        """Session end."""
        self._input = ""
        self._asked = ""  # normalised code being shown
        self._query_id: str | None = None
        self._status = ""
        self._result = ""
        self._busy = False
        self._wait.stop()
        self.changed.emit()

    @Property(str, notify=changed)
    def input(self) -> str:
        """The code as typed."""
        return self._input

    @Property(bool, notify=changed)
    def busy(self) -> bool:
        """Waiting for the hub."""
        return self._busy

    @Property(str, notify=changed)
    def status(self) -> str:
        """Raw status (for tests and the simulator)."""
        return self._status

    @Property(str, notify=changed)
    def result(self) -> str:
        """What the villager reads."""
        return self._result

    @Slot(str)
    def setInput(self, text: str) -> None:
        """Bound to the code field."""
        self._input = text[:16]
        self.changed.emit()

    @Slot()
    def query(self) -> None:
        """查询."""
        code = normalise_code(self._input)
        if len(code) < 4:
            self._show("", "查询码至少4位，请看回执上的查询码。")
            return
        self._asked = code
        local = self.sync.receipts.find(code)
        target = (local.hub_receipt or local.code) if local else code
        if local is not None and local.hub_receipt is None and self.sync.outbox.contains(local.request_id):
            self._show("pending", label("pending"))
            return
        self._query_id = self.sync.query(p.ReceiptQuery(receipt=target))
        if self._query_id is None:
            self._offline(
                local_status=local.status if local else None, notes=local.status_notes if local else ""
            )
            return
        self._busy = True
        self._result = "正在查询，请稍等……"
        self._wait.start()
        self.changed.emit()

    def _answered(self, rid: str, reply: p.Reply) -> None:
        if rid != self._query_id:
            return
        self._wait.stop()
        self._busy = False
        self._query_id = None
        if reply.status != "result" or not reply.result.get("status"):
            self._show("unknown", "没有找到这个查询码，请核对回执。")
            return
        # Reply.result = {receipt, status, status_notes, updated} (docs/contract.md).
        status = str(reply.result["status"])
        notes = str(reply.result.get("status_notes") or "")
        updated = reply.result.get("updated")
        updated_ms = int(updated) if isinstance(updated, int | float) and updated > 0 else 0
        self.sync.receipts.update_status(self._asked, status, notes, updated_ms)
        self.session.count("lookup")
        when = f"（{china_date(updated_ms)}更新）" if updated_ms else ""
        self._show(status, label(status) + (f"。{notes}" if notes else "") + when)

    def _timed_out(self) -> None:
        self._busy = False
        self._query_id = None
        local = self.sync.receipts.find(self._asked)
        self._offline(local.status if local else None, local.status_notes if local else "")

    def _offline(self, local_status: str | None, notes: str) -> None:
        if local_status is None:
            self._show("", "现在连不上镇上，暂时查不到。请稍后再试，或问村干部。")
        else:
            extra = f"。{notes}" if notes else ""
            self._show(local_status, f"{label(local_status)}{extra}（这是本机最近一次收到的进度）")

    def _pushed(self, receipt: str, status: str, notes: str) -> None:
        """The hub changed a status while this screen shows that receipt."""
        if self._asked and not self._busy:
            local = self.sync.receipts.find(self._asked)
            if local is not None and receipt in (local.code, local.hub_receipt):
                self._show(status, label(status) + (f"。{notes}" if notes else ""))

    def _show(self, status: str, text: str) -> None:
        self._status = status
        self._result = text
        self._busy = False
        self.voice.say(text, None)
        self.changed.emit()
