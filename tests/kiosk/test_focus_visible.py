"""The focused field is never hidden (WCAG 2.4.11 Focus Not Obscured; reference/kiosk.md 1.5).

For every field that takes keyboard input, through the real QML: in landscape and portrait,
standard and elder mode, with and without a 代办 helper signed in (its purple banner takes
height), the field is tapped like a finger does, the keyboard comes up, and then

- the field's frame lies wholly on the window, below the top bars and above the keyboard's top
  edge;
- nothing else is drawn over it or under it (banner, bars, overlays, other controls): only its
  own frame and what is inside it;
- the text cursor is inside the frame and above the keyboard, also once the field holds more
  words than fit on its first line (a long appeal).

FIELDS lists the fields and how to reach them; a field added to the QML without an entry here
fails the test, so a new field cannot go unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtQuick import QQuickItem, QQuickWindow
from pytestqt.qtbot import QtBot

import kiosk
from kiosk.core import Kiosk
from kiosk.walk import find, orient, settle, tree
from tests.kiosk.conftest import KioskFactory, Ui
from tests.kiosk.qmldrive import item, tap

MakeUi = Callable[[Kiosk], Ui]

LONG_APPEAL = "村口的路灯坏了三天了，晚上看不见路，老人小孩走夜路都怕摔跤，请镇上派人来修一修。" * 2


def _to_appeal_text(k: Kiosk) -> None:
    k.nav.home()
    k.nav.go("appeal")
    k.appeal.chooseCategory("roads")
    k.appeal.chooseVillage("bz-t01-v01")
    k.appeal.setText("")


def _to_lookup(k: Kiosk) -> None:
    k.nav.home()
    k.nav.go("lookup")


#: objectName of each keyboard field -> (how to reach its screen, a long text for it or None).
FIELDS: dict[str, tuple[Callable[[Kiosk], None], Callable[[Kiosk], None] | None]] = {
    "appealText": (_to_appeal_text, lambda k: k.appeal.setText(LONG_APPEAL)),
    "lookupInput": (_to_lookup, None),  # six Latin symbols: one short line
}

EDITORS = re.compile(
    r"^\s*(?:[\w.]+:\s*)?(TextField|TextArea|TextInput|TextEdit)\s*\{(?P<body>.*?)\n\s*\}", re.M | re.S
)


def test_every_keyboard_field_of_the_qml_is_checked() -> None:
    qml = Path(kiosk.__file__).parent / "qml"
    names = set()
    for path in qml.rglob("*.qml"):
        if "vkb" in path.parts:
            continue  # the keyboard's own layouts and style
        for match in EDITORS.finditer(path.read_text(encoding="utf-8")):
            name = re.search(r'objectName:\s*"(\w+)"', match.group("body"))
            assert name is not None, f"{path.name}: a {match.group(1)} without an objectName"
            names.add(name.group(1))
    assert names == set(FIELDS), f"fields in the QML {sorted(names)} != checked here {sorted(FIELDS)}"


def rect(i: QQuickItem) -> QRectF:
    return i.mapRectToScene(QRectF(0, 0, i.width(), i.height()))


def paints(i: QQuickItem) -> bool:
    """Whether the item itself puts pixels on the screen (containers do not)."""
    if i.inherits("QQuickRectangle"):
        color = i.property("color")  # (PySide cannot read `border`; every frame here is filled)
        return isinstance(color, QColor) and color.alpha() > 0
    if i.inherits("QQuickText"):
        return bool(str(i.property("text")).strip())
    return i.inherits("QQuickImage") or i.inherits("QQuickCanvasItem")


def obscured(window: QQuickWindow, field: QQuickItem, where: str) -> list[str]:
    """Every way the focused ``field`` (its frame, its cursor) is out of sight."""
    pairs = tree(window)
    parent = {id(i): p for i, p in pairs}

    def chain(i: QQuickItem) -> list[QQuickItem]:
        out: list[QQuickItem] = []
        node: QQuickItem | None = i
        while node is not None:
            out.append(node)
            node = parent[id(node)]
        return out

    def shown(i: QQuickItem) -> bool:
        return i.width() > 0 and i.height() > 0 and all(n.isVisible() and n.opacity() > 0 for n in chain(i))

    frame = next(n for n in chain(field) if n.metaObject().indexOfProperty("isTarget") >= 0)
    board = item(window, "inputPanel")
    breaches: list[str] = []
    if not (field.hasActiveFocus() and board.property("active")):
        return [f"{where}: the field has no focus or the keyboard is down"]
    keyboard_top = rect(board).top()
    box = rect(frame)
    if box.top() < 0 or box.left() < 0 or box.right() > window.width():
        breaches.append(f"{where}: the field {box.getRect()} is off the window")
    if box.bottom() > keyboard_top + 0.5:
        breaches.append(
            f"{where}: the field's bottom {box.bottom():.0f} is below the keyboard's top {keyboard_top:.0f}"
            f" (the field is {box.height():.0f} px tall,"
            f" {max(0.0, keyboard_top - box.top()):.0f} px of it shown)"
        )
    own = {id(n) for n in chain(frame)}
    inside = {id(i) for i, _ in pairs if any(n is frame for n in chain(i))}
    for other, _ in pairs:
        if id(other) in own or id(other) in inside or not shown(other) or not paints(other):
            continue
        if any(n is board for n in chain(other)):
            continue  # the keyboard: measured by its top edge above
        if rect(other).intersects(box.adjusted(1, 1, -1, -1)):
            name = other.objectName() or next((n.objectName() for n in chain(other) if n.objectName()), "?")
            breaches.append(f"{where}: the field is covered by {name} ({other.metaObject().className()})")
    cursor = field.property("cursorRectangle")
    assert isinstance(cursor, QRectF)
    seen = field.mapRectToScene(cursor)
    if not box.contains(seen) or seen.bottom() > keyboard_top + 0.5:
        breaches.append(
            f"{where}: the cursor {seen.getRect()} is outside the field {box.getRect()} or under the keys"
        )
    return breaches


def focus(qtbot: QtBot, window: QQuickWindow, name: str) -> QQuickItem:
    """Tap the field like a finger and wait until the keyboard has finished coming up."""
    tap(qtbot, window, name)
    board = item(window, "inputPanel")
    qtbot.waitUntil(lambda: bool(board.property("active")), timeout=3000)
    last = None
    for _ in range(40):  # until the keyboard stops moving (bar, keys and screen re-laid out)
        settle(50)
        now = (rect(board).getRect(), rect(item(window, "screenLoader")).getRect())
        if now == last:
            break
        last = now
    return item(window, name)


@pytest.mark.parametrize("assisted", [False, True], ids=["normal", "assisted"])
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_the_focused_field_stays_in_sight_above_the_keyboard(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot, orientation: str, assisted: bool
) -> None:
    k = make_kiosk()
    ui = make_ui(k)
    window = ui.window
    orient(window, orientation)
    breaches: list[str] = []
    for elder in (False, True):
        k.elder.setOn(elder)
        if assisted and not k.assisted.active:
            k.nav.go("assist")
            for d in "2468":
                k.assisted.press(d)
            k.assisted.signIn()
            assert k.assisted.active
        for name, (reach, fill) in FIELDS.items():
            mode = "elder" if elder else "standard"
            where = f"{orientation}/{mode}/{'assisted' if assisted else 'normal'}/{name}"
            reach(k)
            settle(120)
            if assisted:
                banner = item(window, "assistedBanner")
                assert banner.isVisible(), f"{where}: no 代办 banner"
            field = focus(qtbot, window, name)
            breaches += obscured(window, field, where)
            if assisted:  # marked as assisted at all times, also while typing
                banner = item(window, "assistedBanner")
                texts = [i for i, _ in tree(window) if i.inherits("QQuickText")]
                shown = [
                    str(t.property("text"))
                    for t in texts
                    if t.isVisible() and rect(t).intersects(rect(banner))
                ]
                if not banner.isVisible() or not any("代办" in s and "s01" in s for s in shown):
                    breaches.append(f"{where}: the 代办 banner with the helper is gone while typing: {shown}")
            if fill is not None:
                fill(k)
                settle(60)
                field.setProperty("cursorPosition", len(str(field.property("text"))))
                settle(60)
                breaches += obscured(window, field, where + " (long text, cursor at the end)")
            window.contentItem().forceActiveFocus()
            settle(60)
        assert find(window, "inputPanel") is not None
    assert not breaches, f"{len(breaches)} ways the focused field is hidden:\n" + "\n".join(breaches)


def test_the_check_sees_an_overlay_drawn_over_the_field(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot
) -> None:
    """The check itself can fail: the help overlay over the focused field is reported."""
    k = make_kiosk()
    window = make_ui(k).window
    orient(window, "landscape")
    _to_appeal_text(k)
    settle(120)
    field = focus(qtbot, window, "appealText")
    assert obscured(window, field, "before") == []
    k.help.call()
    settle(120)
    assert any("covered by helpOverlay" in b for b in obscured(window, field, "help open"))
    k.help.close()
