"""One villager's session: starts at the first tap, ends by the villager or by idle, then wipes.

"Wipe" means every model forgets what it held (forms, selections, answers,
captions, volume, elder mode, assisted sign-in), the QML views are destroyed (the
Loader drops them when going home) and the keyboard is reset. What the villager
submitted stays only in the outbox until the hub acknowledges it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.models.elder import ElderMode
from kiosk.models.idle import IdleTimer
from kiosk.models.navigation import SCREENS, Navigation
from kiosk.models.voice import Voice


class Session(QObject):
    """Session state, usage counters (never content) and the wipe."""

    changed = Signal()
    wiping = Signal()  # QML: drop a half-typed Pinyin composition before the fields are cleared
    wiped = Signal()  # QML: reset the input method, drop focus
    ended = Signal(dict)  # usage attrs of the session_end event

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        nav: Navigation,
        elder: ElderMode,
        voice: Voice,
        idle: IdleTimer,
        auto_read: bool = False,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.nav = nav
        self.elder = elder
        self.voice = voice
        self.idle = idle
        self.auto_read = auto_read
        self.clock = clock
        self._active = False
        self._started = 0.0
        self.counts: Counter[str] = Counter()
        self.elder_used = False
        self.assisted_used = False
        self._resetters: list[Callable[[], None]] = []
        self._wiping = False
        nav.entered.connect(self._entered)
        idle.expired.connect(lambda: self.end("idle"))
        elder.changed.connect(self._elder_changed)

    def on_wipe(self, reset: Callable[[], None]) -> None:
        """Register a model's reset, called at every session end."""
        self._resetters.append(reset)

    @property
    def is_active(self) -> bool:
        """Python-side view of ``active``."""
        return self._active

    @Property(bool, notify=changed)
    def active(self) -> bool:
        """Whether a villager is using the kiosk."""
        return self._active

    def begin(self) -> None:
        """Start a session (the first tap on anything)."""
        if not self._active:
            self._active = True
            self._started = self.clock()
            self.counts.clear()
            self.elder_used = self.elder.is_on
            self.assisted_used = False
            self.changed.emit()

    def count(self, what: str) -> None:
        """Count one completed thing (appeal, rating, vote, help_call, guide_item ...)."""
        self.begin()
        self.counts[what] += 1

    def _elder_changed(self) -> None:
        if self._wiping:
            return
        if self.elder.is_on:
            self.begin()
            self.elder_used = True
        self.voice.say(
            "长辈模式已打开，字更大，说话更慢。" if self.elder.is_on else "长辈模式已关闭。", "elder"
        )
        if self._active:
            self.idle.arm(self.nav.current.idle)

    def _entered(self, name: str) -> None:
        if self._wiping:
            return
        screen = SCREENS[name]
        if name != "home":
            self.begin()
        if self._active:
            self.idle.arm(screen.idle)
        if screen.spoken and (self.elder.is_on or self.auto_read):
            self.voice.say(screen.spoken, f"screen.{name}")

    @Slot()
    def finish(self) -> None:
        """我办完了: the villager ends the session themself."""
        self.end("done")

    def end(self, reason: str) -> None:
        """End the session: report usage, wipe everything, go home."""
        if self._active:
            attrs: dict[str, str | int | float | bool] = {
                "reason": reason,
                "duration_s": round(self.clock() - self._started),
                "services": sum(self.counts.values()),
                "elder_mode": self.elder_used,
                "assisted": self.assisted_used,
            }
            attrs.update({k: v for k, v in sorted(self.counts.items())})
            self.ended.emit(attrs)
        self._active = False
        self._wiping = True
        # Else leaving the screen commits the composition into the cleared field (verified).
        self.wiping.emit()
        try:
            self.counts.clear()
            for reset in self._resetters:
                reset()
            self.elder.reset()
            self.idle.disarm()
            self.nav.home()
            self.voice.reset()  # after going home: the next villager starts in silence
        finally:
            self._wiping = False
        self.wiped.emit()
        self.changed.emit()
