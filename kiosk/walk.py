"""A walk through every screen and overlay, in standard and elder mode.

Shared by ``python -m kiosk.screenshots`` and tests/kiosk/test_ui_targets.py so
that what is photographed is exactly what is measured. The walk drives models
(the same slots the views call) and lets the event loop settle before yielding.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtQuick import QQuickItem, QQuickWindow

from kiosk.config import KioskConfig
from kiosk.core import Kiosk


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


def walk(kiosk: Kiosk, app: object, window: QQuickWindow | None = None) -> Iterator[tuple[str, int, str]]:
    """Yield (mode, index, screen) once each screen is on display; ends back at home."""
    del app
    k = kiosk
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
            (
                "appeal_phone",
                lambda: (k.appeal.setText("村口的路灯坏了三天了，晚上看不见路。"), k.appeal.toPhone()),
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
            ("help", k.help.call),
            ("idle_warning", lambda: _warn_now(k)),
        ]
        for index, (name, action) in enumerate(shots):
            if callable(action):
                action()
            settle(120 if name == "appeal_keyboard" else 60)
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


def _unfocus(window: QQuickWindow) -> None:
    window.contentItem().forceActiveFocus()
