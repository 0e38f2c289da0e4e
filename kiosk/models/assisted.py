"""Assisted mode (代办): a village helper signs in with a staff code for a limited time.

Every request submitted while signed in carries ``assisted_by`` (the staff id),
and every sign-in, sign-out and submission is written to the local audit log
(who, what kind, which request id; never the content). Sign-in expires by itself
and also ends with the villager's session, so the next villager is never
recorded as assisted by mistake. Five wrong codes lock sign-in for a minute.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.config import AssistSection
from kiosk.models.navigation import Navigation
from kiosk.models.voice import Voice
from kiosk.services.store import Store

MAX_FAILURES = 5
LOCKOUT_S = 60


class Assisted(QObject):
    """Staff sign-in state for 代办."""

    changed = Signal()

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        cfg: AssistSection,
        lifetime_s: int,
        store: Store,
        nav: Navigation,
        voice: Voice,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cfg = cfg
        self.lifetime_s = lifetime_s
        self.store = store
        self.nav = nav
        self.voice = voice
        self.clock = clock
        self._staff: str | None = None
        self._code = ""
        self._message = ""
        self._failures = 0
        self._locked_until = 0.0
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(lambda: self.signOut("expired"))

    @property
    def staff_id(self) -> str | None:
        """The signed-in helper, recorded as ``assisted_by``."""
        return self._staff

    @Property(bool, notify=changed)
    def active(self) -> bool:
        """Whether a helper is signed in (shown as a banner on every screen)."""
        return self._staff is not None

    @Property(str, notify=changed)
    def banner(self) -> str:
        """代办中 banner text."""
        return f"代办员 {self._staff} 正在帮忙办理" if self._staff else ""

    @Property(str, notify=changed)
    def code(self) -> str:
        """The code typed so far, masked (shoulder surfing)."""
        return "●" * len(self._code)

    @Property(str, notify=changed)
    def message(self) -> str:
        """Feedback on the sign-in screen."""
        return self._message

    @Slot(str)
    def press(self, digit: str) -> None:
        """A keypad digit (the code is never shown or spoken)."""
        if digit.isdigit() and len(self._code) < 12:
            self._code += digit
            self.voice.say(f"已输入{len(self._code)}位", "assist.digit")
            self.changed.emit()

    @Slot()
    def erase(self) -> None:
        """删除 the last digit."""
        self._code = self._code[:-1]
        self.changed.emit()

    @Slot()
    def signIn(self) -> None:
        """Check the typed code against the configured staff codes (constant time)."""
        if self.clock() < self._locked_until:
            self._say("错误次数太多，请一分钟后再试。")
            return
        typed = self._code.encode()
        self._code = ""
        match = None
        for staff in self.cfg.staff:
            if hmac.compare_digest(typed, staff.code.get_secret_value().encode()):
                match = staff.id
        if match is None:
            self._failures += 1
            if self._failures >= MAX_FAILURES:
                self._failures = 0
                self._locked_until = self.clock() + LOCKOUT_S
            self.store.audit("-", "sign_in_failed")
            self._say("工作码不对，请再输一次。")
            return
        self._failures = 0
        self._staff = match
        self._expiry.start(self.lifetime_s * 1000)
        self.store.audit(match, "sign_in")
        self._say(f"代办模式已开启，{self.lifetime_s // 60}分钟后自动退出。")
        self.nav.home()

    @Slot()
    def signOut(self, reason: str = "manual") -> None:
        """End assisted mode (button, expiry or session end)."""
        if self._staff is None:
            return
        self.store.audit(self._staff, f"sign_out_{reason}")
        self._staff = None
        self._expiry.stop()
        self._message = "代办模式已退出。"
        self.changed.emit()

    def record(self, action: str, request_id: str) -> None:
        """Audit one submission made on a villager's behalf."""
        if self._staff is not None:
            self.store.audit(self._staff, action, request_id)

    def _say(self, text: str) -> None:
        self._message = text
        self.voice.say(text, None)
        self.changed.emit()

    def reset(self) -> None:
        """Session end: sign out and forget any half-typed code."""
        self.signOut("session_end")
        self._code = ""
        self._message = ""
        self.changed.emit()
