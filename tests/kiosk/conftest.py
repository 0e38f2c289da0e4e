"""Kiosk test fixtures: offscreen Qt, a private keyboard dir, kiosks wired like production.

The environment is set at import time because Qt reads it once, when pytest-qt
creates the QApplication.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["QT_QUICK_BACKEND"] = "software"
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false;qt.qml.propertyCache.append=false")

from kiosk.services import keyboard

XDG = keyboard.prepare(Path(tempfile.mkdtemp(prefix="kiosk-tests-")))
# Never start a sound server from a test (libpulse may autospawn one for a non-root user);
# tests/kiosk/test_recording.py runs its own, privately.
(XDG.parent / "pulse-client.conf").write_text("autospawn = no\n")
os.environ.setdefault("PULSE_CLIENTCONFIG", str(XDG.parent / "pulse-client.conf"))

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEvent  # noqa: E402
from PySide6.QtQml import QQmlApplicationEngine  # noqa: E402
from PySide6.QtQuick import QQuickWindow  # noqa: E402

from kiosk.app import load_ui  # noqa: E402
from kiosk.core import Kiosk  # noqa: E402
from kiosk.services.recorder import VoiceRecorder  # noqa: E402
from kiosk.services.tts import RecordingSpeaker  # noqa: E402
from kiosk.walk import demo_config, settle  # noqa: E402

KioskFactory = Callable[..., Kiosk]


@pytest.fixture
def make_kiosk(tmp_path: Path, qapp: object) -> Iterator[KioskFactory]:
    """Build kiosks on a data dir of this test; offline unless given a broker."""
    made: list[Kiosk] = []

    def make(
        *,
        broker: tuple[str, int] | None = None,
        tick_ms: int = 1000,
        data: Path | None = None,
        recorder: VoiceRecorder | None = None,
        **timeouts: float,
    ) -> Kiosk:
        cfg = demo_config(
            data or tmp_path / "kiosk", **({"host": broker[0], "port": broker[1]} if broker else {})
        )
        if timeouts:
            cfg = cfg.model_copy(update={"timeouts": cfg.timeouts.model_copy(update=timeouts)})
        kiosk = Kiosk(
            cfg, speaker=RecordingSpeaker(), recorder=recorder, online=broker is not None, tick_ms=tick_ms
        )
        kiosk.start()
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.stop()


@pytest.fixture
def kiosk(make_kiosk: KioskFactory) -> Kiosk:
    """An offline kiosk."""
    return make_kiosk()


def said(kiosk: Kiosk) -> list[str]:
    """Everything the kiosk said aloud."""
    speaker = kiosk.speaker
    assert isinstance(speaker, RecordingSpeaker)
    return speaker.texts


class Ui:
    """A loaded Main.qml bound to a kiosk; collects QML warnings so the test fails on any."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk
        self.engine = QQmlApplicationEngine()
        self.warnings: list[str] = []
        self.engine.warnings.connect(lambda ws: self.warnings.extend(w.toString() for w in ws))
        self.window: QQuickWindow = load_ui(kiosk, self.engine)


@pytest.fixture
def make_ui(qapp: object) -> Iterator[Callable[[Kiosk], Ui]]:
    """Load the real QML for a kiosk; fails the test on any QML warning."""
    uis: list[Ui] = []

    def make(kiosk: Kiosk) -> Ui:
        ui = Ui(kiosk)
        uis.append(ui)
        settle(50)
        return ui

    yield make
    problems = [w for ui in uis for w in ui.warnings]
    for ui in uis:
        ui.window.close()
        ui.engine.deleteLater()
    # Destroy the QML now, while the kiosk models it binds to still exist.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    assert not problems, "QML warnings:\n" + "\n".join(problems)
