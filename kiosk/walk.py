"""A walk through every screen and overlay, in standard and elder mode, in one orientation.

Shared by ``python -m kiosk.screenshots`` and tests/kiosk/test_ui_targets.py so
that what is photographed is exactly what is measured. The walk drives models
(the same slots the views call) and lets the event loop settle before yielding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QMetaObject, QTimer
from PySide6.QtQml import QQmlEngine, QQmlExpression
from PySide6.QtQuick import QQuickItem, QQuickWindow

from kiosk.config import KioskConfig
from kiosk.core import Kiosk
from kiosk.services.recorder import ScriptedRecorder


def demo_config(data_dir: Path, **mqtt: object) -> KioskConfig:
    """A complete config for one kiosk in 兴隆村 (tests, screenshots, bench)."""
    return KioskConfig.model_validate(
        {
            "kiosk": {
                "node_id": "kiosk-bz-0001",
                "village": {"id": "bz-t01-v01", "name": "兴隆村"},
                "township": {"id": "bz-t01", "name": "兴隆镇"},
                "nearby_villages": [
                    {"id": "bz-t01-v02", "name": "石桥村"},
                    {"id": "bz-t01-v03", "name": "柏林村"},
                ],
                "data_dir": str(data_dir),
            },
            "assist": {"staff": [{"id": "s01", "code": "2468"}]},
            "voice": {"engine": "none"},
            "mqtt": dict(mqtt),
        }
    )


def settle(ms: int = 60) -> None:
    """Let bindings, Loaders and layouts finish."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    QCoreApplication.processEvents()


def tree(window: QQuickWindow) -> list[tuple[QQuickItem, QQuickItem | None]]:
    """Every item of the scene with its visual parent, depth first (Loader content included).

    Parents come from this walk, never from ``parentItem()``: PySide6 6.12 under-counts
    references to None when a binding returns a null pointer (``parentItem()`` of the root,
    ``property()`` of an unknown name), and enough such calls crash the interpreter.
    """
    out: list[tuple[QQuickItem, QQuickItem | None]] = []
    stack: list[tuple[QQuickItem, QQuickItem | None]] = [(window.contentItem(), None)]
    while stack:
        item, parent = stack.pop()
        out.append((item, parent))
        stack.extend((child, item) for child in reversed(item.childItems()))
    return out


def items(window: QQuickWindow) -> Iterator[QQuickItem]:
    """Every item of the scene, depth first in visual-child order."""
    for item, _ in tree(window):
        yield item


def find(window: QQuickWindow, name: str) -> QQuickItem | None:
    """The first item with ``objectName == name``."""
    return next((i for i in items(window) if i.objectName() == name), None)


#: Every screen the walk shows, in order (the screenshots' file names and the test's count).
SCREENS = (
    "home",
    "guide",
    "guide_items",
    "guide_item",
    "appeal_category",
    "appeal_village",
    "appeal_text",
    "appeal_keyboard",
    "appeal_candidates",
    "appeal_candidates_next",
    "appeal_voice",
    "appeal_voice_recording",
    "appeal_voice_recorded",
    "appeal_phone",
    "appeal_confirm",
    "receipt",
    "lookup",
    "lookup_result",
    "rating",
    "surveys",
    "survey",
    "notices",
    "notice",
    "weather",
    "health",
    "assist",
    "assisted_home",
    "assisted_keyboard",
    "help",
    "idle_warning",
)

#: Window sizes of the two orientations of the 21.5" 1920x1080 panel.
ORIENTATIONS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


def orient(window: QQuickWindow, orientation: str) -> None:
    """Resize the window to ``orientation`` and let every layout follow."""
    width, height = ORIENTATIONS[orientation]
    window.resize(width, height)
    settle(100)


def walk(
    kiosk: Kiosk, app: object, window: QQuickWindow | None = None, orientation: str = "landscape"
) -> Iterator[tuple[str, int, str]]:
    """Yield (mode, index, screen) once each screen is on display; ends back at home."""
    del app
    k = kiosk
    if window is not None:
        orient(window, orientation)
    for mode in ("standard", "elder"):
        k.session.end("walk")
        k.elder.setOn(mode == "elder")
        settle()
        shots: list[tuple[str, object]] = [
            ("home", lambda: None),
            ("guide", lambda: k.nav.go("guide")),
            ("guide_items", lambda: k.catalog.openGroup("社保养老")),
            ("guide_item", lambda: k.catalog.openItem("pension-cert")),
            ("appeal_category", lambda: (k.nav.home(), k.nav.go("appeal"))),
            ("appeal_village", lambda: k.appeal.chooseCategory("roads")),
            ("appeal_text", lambda: k.appeal.chooseVillage("bz-t01-v01")),
            ("appeal_keyboard", lambda: _focus(window, "appealText")),
            ("appeal_candidates", lambda: _type(window, "ludeng")),
            (
                "appeal_candidates_next",
                lambda: _then(
                    lambda: _pick(window, 0), lambda: _type(window, "shi"), lambda: _next_page(window)
                ),
            ),
            ("appeal_voice", lambda: _then(lambda: _pick(window, 0), k.appeal.useVoice)),
            ("appeal_voice_recording", lambda: _then(k.note.record, lambda: _speak(k, 12_000))),
            ("appeal_voice_recorded", k.note.stop),
            (
                "appeal_phone",
                lambda: _then(
                    lambda: k.appeal.setText("村口的路灯坏了三天了，晚上看不见路。"),
                    k.appeal.voiceNext,
                ),
            ),
            (
                "appeal_confirm",
                lambda: ([k.appeal.pressDigit(d) for d in "13812345678"], k.appeal.toConfirm()),
            ),
            ("receipt", k.appeal.submit),
            ("lookup", lambda: (k.nav.home(), k.nav.go("lookup"), k.lookup.setInput(str(k.receipt.code)))),
            ("lookup_result", k.lookup.query),
            ("rating", lambda: (k.nav.home(), k.nav.go("rating"), k.rating.choose(4))),
            ("surveys", lambda: (k.nav.home(), k.nav.go("surveys"))),
            ("survey", lambda: k.surveys.open("s-2026-07")),
            ("notices", lambda: (k.nav.home(), k.nav.go("notices"))),
            ("notice", lambda: k.reading.openNotice("n-2026-032")),
            ("weather", lambda: (k.nav.home(), k.nav.go("weather"))),
            ("health", lambda: (k.nav.home(), k.nav.go("health"))),
            ("assist", lambda: (k.nav.home(), k.nav.go("assist"), [k.assisted.press(d) for d in "24"])),
            ("assisted_home", lambda: ([k.assisted.press(d) for d in "68"], k.assisted.signIn())),
            (
                "assisted_keyboard",  # the 代办 strip, the prompt and the field above the keys
                lambda: _then(
                    lambda: (k.nav.go("appeal"), k.appeal.chooseCategory("roads")),
                    lambda: k.appeal.chooseVillage("bz-t01-v01"),
                    lambda: _focus(window, "appealText"),
                    lambda: _type(window, "ludeng"),
                ),
            ),
            (
                "help",
                lambda: _then(
                    lambda: _pick(window, 0), lambda: _hide_keyboard(window), k.nav.home, k.help.call
                ),
            ),
            ("idle_warning", lambda: _warn_now(k)),
        ]
        if tuple(name for name, _ in shots) != SCREENS:
            msg = "kiosk.walk.SCREENS is out of date"
            raise RuntimeError(msg)
        for index, (name, action) in enumerate(shots):
            if callable(action):
                action()
            settle(120 if name.startswith("appeal_") else 60)
            yield mode, index, name
        k.idle.extend()
        k.session.end("walk")
        if window is not None:
            _unfocus(window)
        settle()


def _warn_now(k: Kiosk) -> None:
    k.help.close()
    k.idle._warn()


def _focus(window: QQuickWindow | None, name: str) -> None:
    if window is None:
        return
    item = find(window, name)
    if item is not None:
        item.forceActiveFocus()
        # the keyboard slides in; give its animation time to finish
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            settle(50)


def _speak(k: Kiosk, ms: int) -> None:
    """The villager talks for ``ms`` (the walk needs kiosk.services.recorder.ScriptedRecorder)."""
    if not isinstance(k.recorder, ScriptedRecorder):
        msg = "the walk records voice notes with a ScriptedRecorder"
        raise TypeError(msg)
    k.recorder.tick(ms)


def _then(*steps: Callable[[], object]) -> None:
    for step in steps:
        step()


def _keyboard(window: QQuickWindow | None, expression: str) -> None:
    """Run ``expression`` against the virtual keyboard's InputContext (as its keys do)."""
    if window is None:
        return
    expr = QQmlExpression(QQmlEngine.contextForObject(window), window, expression)
    expr.evaluate()
    if expr.hasError():
        raise RuntimeError(expr.error().toString())


def _type(window: QQuickWindow | None, letters: str) -> None:
    for ch in letters:
        _keyboard(window, f"InputContext.inputEngine.virtualKeyClick(Qt.Key_{ch.upper()}, '{ch}', 0)")
        settle(10)


def _pick(window: QQuickWindow | None, index: int) -> None:
    _keyboard(window, f"InputContext.inputEngine.wordCandidateListModel.selectItem({index})")
    settle(20)


def _next_page(window: QQuickWindow | None) -> None:
    """What tapping 下一页 does (CandidateBar.qml), once the bar has laid out its first page."""
    if window is None:
        return
    settle(120)  # the bar goes back to page 1 on each letter, later (Qt.callLater)
    bar = find(window, "candidateBar")
    if bar is None or not QMetaObject.invokeMethod(bar, "nextPage"):
        msg = "no candidate bar to page"
        raise RuntimeError(msg)


def _unfocus(window: QQuickWindow) -> None:
    window.contentItem().forceActiveFocus()


def _hide_keyboard(window: QQuickWindow | None) -> None:
    """Focus away from the field; the keyboard goes down (as 收起 does)."""
    if window is None:
        return
    _unfocus(window)
    settle(200)
