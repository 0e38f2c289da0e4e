"""The receipt screen: lookup code, QR (code only), upload state and undo within 10 minutes.

Undo (MIIT website spec: reversible within 10 min) is honest about what it can
do: before upload the request is deleted from the outbox; once the hub has it,
contract v1 has no withdrawal message yet (see docs/kiosk.md), so the screen says
to ask the village cadre.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import segno
from PySide6.QtCore import Property, QObject, Signal, Slot

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
        undo_s: int,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.sync = sync
        self.voice = voice
        self.session = session
        self.undo_s = undo_s
        self.clock = clock
        self.reset()
        sync.acknowledged.connect(self._acknowledged)
        sync.depthChanged.connect(self.changed)

    def reset(self) -> None:
        """Session end: nothing of the last receipt stays on screen."""
        self._rid = ""
        self._code = ""
        self._category = ""
        self._state = ""
        self._shown_at = 0.0
        self._qr = ""
        self.changed.emit()

    def show(self, rid: str, code: str, category: str) -> None:
        """A request was stored durably: show its receipt and read the code aloud."""
        self._rid = rid
        self._code = code
        self._category = category
        self._shown_at = self.clock()
        self._state = "uploaded" if not self.sync.outbox.contains(rid) else "saved"
        # The QR holds the scheme tag and the code only; nothing personal.
        self._qr = segno.make(qr_payload(code), error="m").png_data_uri(scale=8, border=2)
        self.changed.emit()
        spelled = "，".join(code)
        self.voice.say(f"已经收到。您的查询码是：{spelled}。请记下来，或者用手机拍下二维码。", "receipt")

    @Property(str, notify=changed)
    def code(self) -> str:
        """The lookup code, grouped for reading: K7Q 3MX."""
        return f"{self._code[:3]} {self._code[3:]}" if self._code else ""

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
        """Honest upload state: saved here, reached the hub, or withdrawn."""
        if self._state == "withdrawn":
            return "已撤回，这件事不会上报。"
        if self._state == "uploaded" or (self._rid and not self.sync.outbox.contains(self._rid)):
            return "已送到镇上，正在处理。"
        if self.sync.online:
            return "已保存在本机，正在上传。"
        return "已保存在本机。现在网络不通，恢复后会自动上传，不会丢失。"

    @Property(bool, notify=changed)
    def canUndo(self) -> bool:
        """Undo is offered for 10 minutes while the request has not reached the hub."""
        return self._can_undo()

    def _can_undo(self) -> bool:
        fresh = self.clock() - self._shown_at <= self.undo_s
        return (
            bool(self._rid) and self._state != "withdrawn" and fresh and self.sync.outbox.contains(self._rid)
        )

    @Slot()
    def undo(self) -> None:
        """撤回."""
        if not self._can_undo():
            self.voice.say("已经送到镇上了，不能在这里撤回。需要撤回请告诉村干部。", None)
            return
        if self.sync.withdraw(self._rid):
            self.sync.receipts.withdraw(self._rid)
            self._state = "withdrawn"
            self.session.count("undo")
            self.voice.say("已撤回。", None)
        self.changed.emit()

    @Slot()
    def readAgain(self) -> None:
        """Read the code aloud again."""
        if self._code:
            self.voice.say(f"您的查询码是：{'，'.join(self._code)}。", "receipt")

    def _acknowledged(self, rid: str, status: str) -> None:
        if rid == self._rid and self._state != "withdrawn":
            self._state = "uploaded" if status != "rejected" else "rejected"
            self.changed.emit()


__all__ = ["ReceiptView", "label"]
