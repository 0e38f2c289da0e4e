"""Idle timeouts with a spoken warning and unlimited extensions.

Profiles and seconds are reference/kiosk.md 3.1: browsing 90 s, personal-data form
120 s, receipt 60 s, then a 30 s spoken countdown; elder mode doubles the idle
part. The home screen has no timeout unless a session is active. Any touch or key
restarts the clock (ActivityFilter), so nobody is cut off while typing.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QEvent, QObject, QTimer, Signal, Slot

from kiosk.config import TimeoutsSection
from kiosk.models.elder import ElderMode
from kiosk.models.voice import Voice

PROFILES = ("home", "browse", "form", "receipt")


class IdleTimer(QObject):
    """Idle -> warning (countdown, spoken) -> expired. ``tick_ms`` shrinks seconds in tests."""

    changed = Signal()
    expired = Signal()

    def __init__(
        self,
        cfg: TimeoutsSection,
        elder: ElderMode,
        voice: Voice,
        tick_ms: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cfg = cfg
        self.elder = elder
        self.voice = voice
        self.tick_ms = tick_ms
        self._profile = "home"
        self._armed = False  # a session is active
        self._warning = False
        self._held = False  # recording a voice note: nobody is idle while speaking
        self._remaining = 0
        self.extensions = 0
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._warn)
        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self._count)

    def idle_seconds(self) -> int:
        """Seconds of inactivity before the warning, for the current profile and mode."""
        base = {"browse": self.cfg.browse_s, "form": self.cfg.form_s, "receipt": self.cfg.receipt_s}
        seconds = base.get(self._profile, self.cfg.browse_s)
        return round(seconds * (self.cfg.elder_factor if self.elder.is_on else 1.0))

    @Property(str, notify=changed)
    def profile(self) -> str:
        """home / browse / form / receipt."""
        return self._profile

    @Property(bool, notify=changed)
    def warning(self) -> bool:
        """Whether the 'are you still there?' countdown is showing."""
        return self._warning

    @Property(int, notify=changed)
    def remaining(self) -> int:
        """Seconds left in the countdown."""
        return self._remaining

    def arm(self, profile: str) -> None:
        """A screen with ``profile`` is showing during an active session."""
        if profile not in PROFILES:
            msg = f"unknown idle profile {profile!r}"
            raise ValueError(msg)
        self._profile = profile
        self._armed = True
        self.touch()
        self.changed.emit()

    def disarm(self) -> None:
        """No session: no timers."""
        self._armed = False
        self._warning = False
        self._held = False
        self._idle.stop()
        self._tick.stop()
        self._profile = "home"
        self.changed.emit()

    @Slot()
    def touch(self) -> None:
        """Activity: restart the idle clock (the warning needs the explicit button)."""
        if not self._armed or self._warning or self._held:
            return
        self._idle.start(self.idle_seconds() * self.tick_ms)

    def hold(self, held: bool) -> None:
        """Pause the idle clock (kiosk.md: no timeout while recording), then restart it."""
        self._held = held
        if held:
            self._idle.stop()
        else:
            self.touch()

    @property
    def held(self) -> bool:
        """Whether the idle clock is paused."""
        return self._held

    @Slot()
    def extend(self) -> None:
        """我还在，继续: as many times as the villager wants (WCAG 2.2.1 asks for >= 10)."""
        if not self._warning:
            return
        self.extensions += 1
        self._warning = False
        self._tick.stop()
        self.voice.say("好的，请继续。", "idle.extended")
        self.changed.emit()
        self.touch()

    def _warn(self) -> None:
        self._warning = True
        self._remaining = self.cfg.warning_s
        self._tick.start()
        self.voice.say(
            f"您还在吗？{self._remaining}秒后将清除您填写的内容并回到首页。要继续，请点“我还在”。",
            "idle.warning",
        )
        self.changed.emit()

    def _count(self) -> None:
        self._remaining -= 1
        if self._remaining <= 0:
            self._tick.stop()
            self._warning = False
            self.changed.emit()
            self.expired.emit()
            return
        self.changed.emit()


class ActivityFilter(QObject):
    """Application-wide event filter: any touch, click or key counts as activity."""

    _KINDS = frozenset(
        {
            QEvent.Type.MouseButtonPress,
            QEvent.Type.TouchBegin,
            QEvent.Type.KeyPress,
            QEvent.Type.InputMethod,
        }
    )

    def __init__(self, idle: IdleTimer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.idle = idle

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Never consumes the event; only notes that someone is there."""
        if event.type() in self._KINDS:
            self.idle.touch()
        return False
