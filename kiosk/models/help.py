"""One-key help (一键求助): a HelpCall to the on-duty village cadre, told in voice and text.

The call goes through the outbox like an appeal, so a help call made while the
uplink is down is sent the moment it returns; the villager is told honestly which
of the two happened.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal, Slot

from contract import payloads as p
from kiosk.models.assisted import Assisted
from kiosk.models.session import Session
from kiosk.models.voice import Voice
from kiosk.services.sync import Sync


class Help(QObject):
    """The help overlay and its state."""

    changed = Signal()

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        village: str,
        sync: Sync,
        session: Session,
        voice: Voice,
        assisted: Assisted,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.village = village
        self.sync = sync
        self.session = session
        self.voice = voice
        self.assisted = assisted
        sync.acknowledged.connect(self._acknowledged)
        self.reset()

    def reset(self) -> None:
        """Session end."""
        self._open = False
        self._rid = ""
        self._state = ""
        self.changed.emit()

    @Property(bool, notify=changed)
    def open(self) -> bool:
        """Whether the help overlay shows."""
        return self._open

    @Property(str, notify=changed)
    def message(self) -> str:
        """What the overlay says."""
        return self._text()

    def _text(self) -> str:
        return {
            "sent": "已经通知村干部，马上就来帮您。请在这里稍等。",
            "queued": "网络暂时不通，求助已经记下，网络一恢复就会通知村干部。请先请身边的人帮忙。",
            "acknowledged": "村干部已经收到您的求助，马上就来。请在这里稍等。",
        }.get(self._state, "")

    @Slot()
    def call(self) -> None:
        """The red 一键求助 button: one tap, no confirmation (it is harmless to call twice)."""
        self.session.begin()
        if not self._rid:
            self._rid = self.sync.submit(
                p.HelpCall(village=self.village, reason="kiosk"), self.assisted.staff_id
            )
            self.assisted.record("help_call", self._rid)
            self.session.count("help_call")
        self._state = "sent" if self.sync.online else "queued"
        if not self.sync.outbox.contains(self._rid):
            self._state = "acknowledged"
        self._open = True
        self.voice.say(self._text(), f"help.{self._state}")
        self.changed.emit()

    @Slot()
    def close(self) -> None:
        """关闭 (the villager can keep using the kiosk while waiting)."""
        self._open = False
        self.changed.emit()

    def _acknowledged(self, rid: str, status: str) -> None:
        if rid == self._rid and status != "rejected":
            self._state = "acknowledged"
            if self._open:
                self.voice.say(self._text(), "help.acknowledged")
            self.changed.emit()
