"""One-key help (一键求助): a HelpCall to the on-duty village cadre, told in voice and text.

The call goes through the outbox like an appeal, so a help call made while the uplink
is down is sent the moment it returns. What the villager hears is only ever what is
known to be true, step by step:

- ``queued``: no network, the call waits on this kiosk;
- ``sending``: on its way, the hub has not answered yet;
- ``sent``: the hub stored it (an answer without details, e.g. to a re-send);
- ``notifying``: the hub is notifying a named duty cadre (its Reply says who);
- ``nobody``: nobody is on duty - ask the station staff or ring the public help line;
- ``notified``: the cadre's notice was delivered (CMD ``help_status``);
- ``acknowledged`` / ``arrived``: someone confirmed in the console and is coming / there;
- ``failed``: the hub refused the call - ask the station staff.

Progress after the Reply comes as CMD ``help_status`` while this session lasts; it
reopens the overlay, because "王书记正在赶来" matters even if the villager closed it.
The hub sends the latest status again after each BIRTH of this kiosk (it may have been
offline), so a status that is not news is ignored: never said twice, never reopening.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal, Slot

from contract import payloads as p
from kiosk.models.assisted import Assisted
from kiosk.models.session import Session
from kiosk.models.voice import Voice
from kiosk.services.sync import Sync

#: Later states never fall back to earlier ones (a late "notified" after "acknowledged"),
#: and a state is entered once (the hub may repeat a status after the kiosk's BIRTH).
RANK = {
    "": 0,
    "queued": 1,
    "sending": 1,
    "sent": 2,
    "failed": 2,
    "notifying": 3,
    "nobody": 3,
    "notified": 4,
    "acknowledged": 5,
    "arrived": 6,
}
DEFAULT_NAME = "值班村干部"


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
        if sync.adapter is not None:
            # Connected after Sync's own slots, so the outbox is settled when these run.
            sync.adapter.replyReceived.connect(self.replied)
            sync.adapter.commandReceived.connect(self.commanded)
        self.reset()

    def reset(self) -> None:
        """Session end."""
        self._open = False
        self._rid = ""
        self._state = ""
        self._name = ""
        self._phone = ""
        self.changed.emit()

    @Property(bool, notify=changed)
    def open(self) -> bool:
        """Whether the help overlay shows."""
        return self._open

    @Property(str, notify=changed)
    def state(self) -> str:
        """Where the call is (see the module docstring)."""
        return self._state

    @Property(str, notify=changed)
    def message(self) -> str:
        """What the overlay says."""
        return self._text()

    def _text(self) -> str:
        name = self._name or DEFAULT_NAME
        if self._state == "nobody":
            ring = f"，或拨打求助电话 {self._phone}" if self._phone else ""
            return f"现在没有村干部值班，求助已经记下。请找站点工作人员帮忙{ring}。"
        return {
            "queued": "网络暂时不通，求助已经记下，网络一恢复就会发出。请先请身边的人帮忙。",
            "sending": "正在发出求助，请稍等。",
            "sent": "求助已经送到，正在通知值班村干部。请在这里稍等。",
            "notifying": f"求助已经送到，正在通知{name}。请在这里稍等。",
            "notified": f"已经通知{name}，请在这里稍等。",
            "acknowledged": f"{name}已经收到您的求助，正在赶来。请在这里稍等。",
            "arrived": f"{name}已经到了，请找{name}帮忙。",
            "failed": "求助没有发出去，请找站点工作人员帮忙。",
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
        if RANK[self._state] <= 1 and self.sync.outbox.contains(self._rid):
            self._state = "sending" if self.sync.online else "queued"
        self._open = True
        self._say()
        self.changed.emit()

    @Slot()
    def close(self) -> None:
        """关闭 (the villager can keep using the kiosk while waiting)."""
        self._open = False
        self.changed.emit()

    def _say(self) -> None:
        # A recorded prompt cannot know names or phone numbers: those go to speech synthesis.
        generic = self._state in {"queued", "sending", "sent", "failed"}
        self.voice.say(self._text(), f"help.{self._state}" if generic else None)

    def _ahead(self, state: str) -> bool:
        # The hub re-sends the latest status after every BIRTH and a re-sent call gets its
        # Reply again: news the overlay already shows, or older news, is not said twice.
        return RANK[state] > RANK[self._state]

    def _move(self, state: str, *, speak: bool) -> None:
        if not self._ahead(state):
            return
        self._state = state
        if speak:
            self._say()
        self.changed.emit()

    def _acknowledged(self, rid: str, status: str) -> None:
        if rid != self._rid:
            return
        self._move("failed" if status == "rejected" else "sent", speak=self._open)

    @Slot(object)
    def replied(self, reply: p.Reply) -> None:
        """The hub's answer to our call says whom it is notifying, or that nobody is on duty."""
        if reply.id != self._rid or reply.status not in {"stored", "duplicate"}:
            return
        kind = reply.detail.partition(":")[0]
        duty = reply.result.get("duty")
        if (duty == "none" or kind == "nobody_on_duty") and self._ahead("nobody"):
            self._phone = str(reply.result.get("phone") or "")
            self._move("nobody", speak=self._open)
        elif kind == "notifying" and self._ahead("notifying"):
            self._name = str(reply.result.get("name") or "")
            self._move("notifying", speak=self._open)

    @Slot(object)
    def commanded(self, command: p.Command) -> None:
        """CMD help_status: the cadre was reached, acknowledged, or is there."""
        if command.command != "help_status" or not self._rid or command.args.get("id") != self._rid:
            return
        status = str(command.args.get("status", ""))
        if status not in {"notified", "acknowledged", "arrived"} or not self._ahead(status):
            return  # a late or repeated status must not change the name shown, nor reopen
        self._name = str(command.args.get("name") or "") or self._name
        if status != "notified":
            self._open = True  # worth showing again, even if the villager closed it
        self._move(status, speak=self._open)
