"""The receipt screen: lookup code, QR (code only), upload state and undo within 10 minutes.

Undo (MIIT website spec: reversible within 10 min): before upload the request is
deleted from the outbox and leaves no trace; after upload a ``Withdraw`` goes to the
hub through the outbox, and the screen says so until the hub confirms or refuses.
The code shown is the one the Appeal carried; if the hub had to assign another one
(ours was taken), the screen switches to the hub's code and says so aloud.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import segno
from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.models.assisted import Assisted
from kiosk.models.session import Session
from kiosk.models.status import label
from kiosk.models.voice import Voice
from kiosk.services.ids import qr_payload
from kiosk.services.sync import Sync


class ReceiptView(QObject):
    """What the receipt screen shows about the appeal just filed."""

    changed = Signal()

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        sync: Sync,
        voice: Voice,
        session: Session,
        assisted: Assisted,
        undo_s: int,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.sync = sync
        self.voice = voice
        self.session = session
        self.assisted = assisted
        self.undo_s = undo_s
        self.clock = clock
        self.reset()
        sync.acknowledged.connect(self._acknowledged)
        sync.receiptChanged.connect(self._receipt_changed)
        sync.withdrawn.connect(self._withdrawn)
        sync.depthChanged.connect(self.changed)

    def reset(self) -> None:
        """Session end: nothing of the last receipt stays on screen."""
        self._rid = ""
        self._code = ""
        self._category = ""
        self._state = ""
        self._shown_at = 0.0
        self._qr = ""
        self._detail = ""
        self._note = ""
        self.changed.emit()

    def show(self, rid: str, code: str, category: str) -> None:
        """A request was stored durably: show its receipt and read the code aloud."""
        self._rid = rid
        self._code = code
        self._category = category
        self._shown_at = self.clock()
        self._state = "uploaded" if not self.sync.outbox.contains(rid) else "saved"
        self._set_code(code)
        spelled = "，".join(code)
        self.voice.say(f"已经收到。您的查询码是：{spelled}。请记下来，或者用手机拍下二维码。", "receipt")

    def _set_code(self, code: str) -> None:
        self._code = code
        # The QR holds the scheme tag and the code only; nothing personal.
        self._qr = segno.make(qr_payload(code), error="m").png_data_uri(scale=8, border=2)
        self.changed.emit()

    @Property(str, notify=changed)
    def code(self) -> str:
        """The lookup code, grouped for reading: K7Q 3MX."""
        return f"{self._code[:3]} {self._code[3:]}" if self._code else ""

    @Property(str, notify=changed)
    def codeNote(self) -> str:
        """Said when the hub replaced our code (empty otherwise)."""
        return self._note

    @Property(str, notify=changed)
    def qr(self) -> str:
        """QR image as a data: URI for an Image element."""
        return self._qr

    @Property(str, notify=changed)
    def category(self) -> str:
        """Category of the appeal."""
        return self._category

    @Property(str, notify=changed)
    def stateText(self) -> str:
        """Honest upload state: saved here, reached the hub, being withdrawn, or withdrawn."""
        return self._state_text()

    def _state_text(self) -> str:
        fixed = {
            "withdrawn": "已撤回，这件事不会上报。",
            "withdrawn_hub": "已撤回，镇上已经确认，这件事不再办理。",
            "withdrawing": "正在撤回，等镇上确认。网络不通时恢复后会自动送出。",
            "withdraw_failed": f"没能撤回（{self._detail or '镇上没有同意'}）。需要撤回请告诉村干部。",
            "rejected": "镇上没有受理这件事，请找村干部。",
        }
        if self._state in fixed:
            return fixed[self._state]
        if self._state == "uploaded" or (self._rid and not self.sync.outbox.contains(self._rid)):
            return "已送到镇上，正在处理。"
        if self.sync.online:
            return "已保存在本机，正在上传。"
        return "已保存在本机。现在网络不通，恢复后会自动上传，不会丢失。"

    @Property(bool, notify=changed)
    def canUndo(self) -> bool:
        """Undo is offered for 10 minutes (before and after upload)."""
        return self._can_undo()

    def _can_undo(self) -> bool:
        fresh = self.clock() - self._shown_at <= self.undo_s
        return bool(self._rid) and fresh and self._state in ("saved", "uploaded")

    @Slot()
    def undo(self) -> None:
        """撤回."""
        if not self._can_undo():
            self.voice.say("已经超过十分钟，不能在这里撤回了。需要撤回请告诉村干部。", None)
            return
        how = self.sync.undo(self._rid, self.assisted.staff_id)
        self.assisted.record("undo", self._rid)
        self.session.count("undo")
        if how == "deleted":
            self.sync.receipts.withdraw(self._rid)
            self._state = "withdrawn"
            self.voice.say("已撤回，这件事不会上报。", None)
        else:
            self._state = "withdrawing"
            self.voice.say("正在撤回，镇上确认后就不再办理。", None)
        self.changed.emit()

    @Slot()
    def readAgain(self) -> None:
        """Read the code aloud again."""
        if self._code:
            self.voice.say(f"您的查询码是：{'，'.join(self._code)}。", "receipt")

    def _acknowledged(self, rid: str, status: str) -> None:
        if rid == self._rid and self._state in ("saved", "uploaded"):
            self._state = "uploaded" if status != "rejected" else "rejected"
            self.changed.emit()

    def _receipt_changed(self, rid: str, code: str) -> None:
        """Our code was taken at the hub: the villager must write down the hub's."""
        if rid == self._rid:
            self._note = f"镇上换了新的查询码，请记 {code}，不要用刚才的。"
            self._set_code(code)
            spelled = "，".join(code)
            self.voice.say(f"查询码换了，请记新的查询码：{spelled}。", "receipt.changed")

    def _withdrawn(self, target: str, done: bool, detail: str) -> None:
        if target != self._rid:
            return
        self._state = "withdrawn_hub" if done else "withdraw_failed"
        self._detail = detail
        self.voice.say(self._state_text(), None)
        self.changed.emit()


__all__ = ["ReceiptView", "label"]
