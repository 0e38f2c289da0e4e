"""The candidate bar shows only where Pinyin can bring candidates (docs/kiosk.md "Keyboard").

Through the real QML and the real Pinyin engine: on the Latin-only lookup code the bar is
hidden and the keys sit at the top of the keyboard, so the screen gets the bar's height back;
on the appeal text it shows from the moment the field is focused, and the keyboard keeps one
height while letters are typed and a candidate is chosen (no jump at each syllable).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtQuick import QQuickWindow
from pytestqt.qtbot import QtBot

from kiosk.core import Kiosk
from kiosk.walk import orient
from tests.kiosk.conftest import KioskFactory, Ui
from tests.kiosk.qmldrive import candidates, item, open_appeal_text, press_keys, tap

MakeUi = Callable[[Kiosk], Ui]


def keyboard_up(window: QQuickWindow) -> bool:
    return bool(item(window, "inputPanel").property("active"))


def bar_shown(window: QQuickWindow) -> bool:
    """The bar is on screen and the keyboard is exactly bar plus keys, keys below the bar."""
    board, bar, keys = (item(window, n) for n in ("inputPanel", "candidateBar", "keysPanel"))
    shown = bar.isVisible()
    assert board.height() == (bar.height() if shown else 0) + keys.height()
    assert keys.y() == (bar.height() if shown else 0)
    return shown


def screen_bottom(window: QQuickWindow) -> float:
    loader = item(window, "screenLoader")
    return loader.y() + loader.height()


def open_lookup(qtbot: QtBot, window: QQuickWindow) -> None:
    tap(qtbot, window, "btnHome")
    qtbot.waitUntil(lambda: not keyboard_up(window), timeout=3000)
    tap(qtbot, window, "tile_lookup")
    tap(qtbot, window, "lookupInput")
    qtbot.waitUntil(lambda: keyboard_up(window), timeout=3000)


@pytest.mark.parametrize(("orientation", "elder"), [("landscape", False), ("portrait", True)])
def test_bar_on_pinyin_text_not_on_the_latin_lookup_code(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot, orientation: str, elder: bool
) -> None:
    k = make_kiosk()
    w = make_ui(k).window
    orient(w, orientation)
    k.elder.setOn(elder)

    open_appeal_text(qtbot, w)
    qtbot.waitUntil(lambda: bar_shown(w), timeout=2000)  # empty, before the first letter
    with_bar = item(w, "inputPanel").height()
    text_bottom = screen_bottom(w)
    heights = set()
    for letter in "shi":
        press_keys(qtbot, w, [letter])
        assert bar_shown(w)
        heights.add(item(w, "inputPanel").height())
    qtbot.waitUntil(lambda: len(candidates(w)) > 0, timeout=2000)
    press_keys(qtbot, w, [candidates(w)[0]])  # a real tap on the first candidate
    qtbot.waitUntil(lambda: str(k.appeal.text) != "", timeout=2000)
    assert bar_shown(w), "the bar left after a choice: the keys would jump at every word"
    heights.add(item(w, "inputPanel").height())
    assert heights == {with_bar}, "the keyboard changed height while Pinyin was typed"
    press_keys(qtbot, w, ["符号"])  # the symbols page keeps Pinyin mode: no jump either
    qtbot.wait(100)
    assert bar_shown(w)

    open_lookup(qtbot, w)
    qtbot.waitUntil(lambda: not bar_shown(w), timeout=2000)
    keys_only = item(w, "inputPanel").height()
    assert keys_only == with_bar - item(w, "candidateBar").height()
    # The screen ends where the keys begin: the bar's height is the screen's again.
    assert screen_bottom(w) == text_bottom + item(w, "candidateBar").height()
    press_keys(qtbot, w, ["a", "b"])  # letters bring no candidates here: still no bar
    qtbot.waitUntil(lambda: str(k.lookup.input) == "AB", timeout=2000)
    assert not bar_shown(w)
