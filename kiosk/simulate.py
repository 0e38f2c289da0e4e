"""Scripted villagers (``--simulate``): drive the real models like a person would, for demos and load.

Each villager is a short script of slot calls spaced by a think time: browse the
guide, file an appeal, rate, vote, sometimes switch on elder mode or walk away
and let the idle timer wipe the session, leave a voice note instead of typing (with a
ScriptedRecorder). Used by ``cunlink demo`` where there is no display, and by
tests/kiosk/test_services.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from kiosk.core import Kiosk
from kiosk.services.recorder import ScriptedRecorder

Step = Callable[[], None]


def script(kiosk: Kiosk, rng: random.Random) -> list[Step]:
    """One villager's actions, in order."""
    k = kiosk
    steps: list[Step] = []
    if rng.random() < 0.4:
        steps.append(k.elder.toggle)
    steps += [lambda: k.nav.go("guide"), lambda: k.catalog.openGroup("社保养老")]
    steps.append(lambda: k.catalog.openItem("pension-cert"))
    steps.append(k.nav.home)
    if rng.random() < 0.6:
        category = rng.choice(["roads", "water", "power", "environment"])
        text = rng.choice(["村口的路灯坏了三天了", "自来水浑浊，不能喝", "垃圾很久没有清运了"])
        steps += [
            lambda: k.nav.go("appeal"),
            lambda: k.appeal.chooseCategory(category),
            lambda: k.appeal.chooseVillage(k.cfg.kiosk.village.id),
        ]
        recorder = k.recorder
        if isinstance(recorder, ScriptedRecorder) and rng.random() < 0.3:
            # Speaks instead of typing (only with a scripted recorder: no real microphone here).
            steps += [
                k.appeal.useVoice,
                k.note.record,
                lambda: recorder.tick(rng.randrange(3000, 30000)),
                k.note.stop,
                k.appeal.voiceNext,
            ]
        else:
            steps += [lambda: k.appeal.setText(text), k.appeal.toPhone]
        steps += [k.appeal.skipPhone, k.appeal.submit, k.nav.home]
    if rng.random() < 0.7:
        score = rng.choice([5, 5, 4, 4, 3, 2, 1])
        steps += [lambda: k.nav.go("rating"), lambda: k.rating.choose(score), k.rating.submit, k.nav.home]
    if rng.random() < 0.5:
        steps += [
            lambda: k.nav.go("surveys"),
            lambda: k.surveys.open("s-2026-07"),
            lambda: k.surveys.vote(rng.choice(["support", "oppose", "abstain"])),
        ]
    if rng.random() < 0.03:
        # Now and then somebody presses 一键求助 (the demo's duty roster and SMS stand-in answer).
        steps += [k.help.call, k.help.close]
    steps.append(k.session.finish)
    return steps


class Villagers(QObject):
    """Runs ``sessions`` scripted villagers one after another (-1: forever)."""

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        kiosk: Kiosk,
        sessions: int = -1,
        think_ms: int = 400,
        seed: int = 0,
        on_done: Callable[[], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.kiosk = kiosk
        self.remaining = sessions
        self.rng = random.Random(seed)  # noqa: S311 - simulation, not security
        self.on_done = on_done
        self.done_sessions = 0
        self._steps: list[Step] = []
        self._timer = QTimer(self)
        self._timer.setInterval(think_ms)
        self._timer.timeout.connect(self._step)

    def start(self) -> None:
        """Begin with the first villager."""
        self._timer.start()

    def _step(self) -> None:
        if not self._steps:
            if self.remaining == 0:
                self._timer.stop()
                if self.on_done is not None:
                    self.on_done()
                return
            self._steps = script(self.kiosk, self.rng)
        self._steps.pop(0)()
        if not self._steps:
            self.done_sessions += 1
            if self.remaining > 0:
                self.remaining -= 1
