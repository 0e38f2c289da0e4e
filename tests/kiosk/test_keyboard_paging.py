"""The Pinyin candidate bar pages by taps, not swipes (kiosk.md section 6: tap only; WCAG 2.5.7).

Through the real QML and the real Pinyin engine: type "shi" on the large keys, tap 下一页,
choose a candidate that was not on the first page, and find it in the text field.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtQuick import QQuickItem, QQuickWindow
from pytestqt.qtbot import QtBot

from kiosk.core import Kiosk
from kiosk.walk import orient
from tests.kiosk.conftest import KioskFactory, Ui
from tests.kiosk.qmldrive import item, items_under, open_appeal_text, press_keys, qml, tap

MakeUi = Callable[[Kiosk], Ui]


def rect(i: QQuickItem) -> QRectF:
    return i.mapRectToScene(QRectF(0, 0, i.width(), i.height()))


def page(window: QQuickWindow) -> list[str]:
    """The candidates on show, left to right; each must lie wholly inside the candidate list."""
    view = item(window, "candidateList")
    shown = [
        i
        for i in items_under(view)
        if i.metaObject().indexOfProperty("isKey") >= 0 and i.isVisible() and i.width() > 0
    ]
    for cell in shown:
        assert rect(view).contains(rect(cell)), "a candidate on show is cut by the bar's edge"
    words = []
    for cell in sorted(shown, key=lambda c: rect(c).x()):
        [label] = [t for t in items_under(cell) if t.inherits("QQuickText")]
        words.append(str(label.property("text")))
    return words


def active(window: QQuickWindow, name: str) -> bool:
    return bool(item(window, name).property("active"))


@pytest.mark.parametrize(("orientation", "elder"), [("landscape", False), ("portrait", True)])
def test_tap_next_page_and_choose_a_later_candidate(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot, orientation: str, elder: bool
) -> None:
    k = make_kiosk()
    w = make_ui(k).window
    orient(w, orientation)
    k.elder.setOn(elder)
    open_appeal_text(qtbot, w)
    press_keys(qtbot, w, list("shi"))
    total = "InputContext.inputEngine.wordCandidateListModel.count"
    qtbot.waitUntil(lambda: int(qml(w, total)) > 30 and len(page(w)) > 0, timeout=3000)  # type: ignore[call-overload]
    first = page(w)
    assert len(first) < int(qml(w, total)), "shi has more candidates than one page"  # type: ignore[call-overload]
    assert not active(w, "candidatePrev")
    assert active(w, "candidateNext")
    size = rect(item(w, "candidateNext"))
    assert size.width() >= (150 if elder else 120)
    assert size.height() >= (150 if elder else 100)

    tap(qtbot, w, "candidateNext")
    qtbot.waitUntil(lambda: bool(page(w)) and page(w) != first, timeout=2000)
    second = page(w)
    assert not set(second) & set(first), f"page 2 {second} repeats page 1 {first}"
    assert active(w, "candidatePrev")

    tap(qtbot, w, "candidateNext")
    qtbot.waitUntil(lambda: bool(page(w)) and page(w) != second, timeout=2000)
    tap(qtbot, w, "candidatePrev")
    qtbot.waitUntil(lambda: page(w) == second, timeout=2000)

    word = second[-1]
    press_keys(qtbot, w, [word])  # a real tap on the candidate
    qtbot.waitUntil(lambda: str(k.appeal.text) == word, timeout=2000)
    assert str(item(w, "appealText").property("text")) == word
    # The choice ends the composition: the bar is back on an empty first page.
    qtbot.waitUntil(lambda: not active(w, "candidatePrev"), timeout=2000)
