"""Drive the real QML like a finger does: tap items by objectName, type Pinyin on the real keyboard."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtQml import QQmlEngine, QQmlExpression
from PySide6.QtQuick import QQuickItem, QQuickWindow
from pytestqt.qtbot import QtBot

from kiosk.walk import find, items


def item(window: QQuickWindow, name: str) -> QQuickItem:
    found = find(window, name)
    assert found is not None, f"no item {name!r} on screen"
    return found


def tap(qtbot: QtBot, window: QQuickWindow, name: str) -> None:
    """A real mouse click at the centre of a visible item."""
    target = item(window, name)
    assert target.isVisible(), f"{name} is not visible"
    centre = target.mapToScene(QPointF(target.width() / 2, target.height() / 2)).toPoint()
    qtbot.mouseClick(window, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.wait(20)  # let the Loader and layouts react, as a finger would wait for the screen


def open_appeal_text(qtbot: QtBot, window: QQuickWindow, category: str = "other") -> None:
    """Home -> 我要反映 -> ``category`` -> the test village -> the text field, keyboard up."""
    for name in ("tile_appeal", f"cat_{category}", "village_bz-t01-v01", "appealText"):
        tap(qtbot, window, name)
    qtbot.waitUntil(lambda: bool(item(window, "inputPanel").property("active")), timeout=3000)


def qml(window: QQuickWindow, expression: str) -> object:
    """Evaluate QML in the window's context (for the virtual keyboard's InputContext)."""
    expr = QQmlExpression(QQmlEngine.contextForObject(window), window, expression)
    value, undefined = expr.evaluate()
    assert not expr.hasError(), expr.error().toString()
    del undefined
    return value


def type_pinyin(qtbot: QtBot, window: QQuickWindow, letters: str) -> None:
    """Press letter keys on the virtual keyboard's input engine (as its key buttons do)."""
    for ch in letters:
        qml(window, f"InputContext.inputEngine.virtualKeyClick(Qt.Key_{ch.upper()}, '{ch}', 0)")
        qtbot.wait(5)


def key(window: QQuickWindow, label: str) -> QQuickItem:
    """The visible key (or candidate) of the kiosk keyboard showing ``label``."""
    for face in items(window):
        if face.metaObject().indexOfProperty("isKey") < 0 or not face.isVisible():
            continue
        for child in items_under(face):
            if child.inherits("QQuickText") and child.property("text") == label:
                return face
    msg = f"no key {label!r} on the keyboard"
    raise AssertionError(msg)


def items_under(root: QQuickItem) -> list[QQuickItem]:
    out, todo = [], [root]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(node.childItems())
    return out


def press_keys(qtbot: QtBot, window: QQuickWindow, labels: list[str]) -> None:
    """Tap keys of the on-screen keyboard with the mouse, one after another."""
    for label in labels:
        face = key(window, label)
        centre = face.mapToScene(QPointF(face.width() / 2, face.height() / 2)).toPoint()
        qtbot.mouseClick(window, Qt.MouseButton.LeftButton, pos=centre)
        qtbot.wait(30)


def candidates(window: QQuickWindow, n: int = 5) -> list[str]:
    count = int(qml(window, "InputContext.inputEngine.wordCandidateListModel.count"))  # type: ignore[call-overload]
    return [
        str(qml(window, f"InputContext.inputEngine.wordCandidateListModel.dataAt({i})"))
        for i in range(min(n, count))
    ]


def pick(qtbot: QtBot, window: QQuickWindow, word: str) -> None:
    """Select a candidate (what tapping it in the candidate bar does)."""
    words = candidates(window, 40)
    assert word in words, f"{word} not among {words[:10]}"
    qml(window, f"InputContext.inputEngine.wordCandidateListModel.selectItem({words.index(word)})")
    qtbot.wait(10)
