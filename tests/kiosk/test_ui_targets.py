"""Every visible text and touch target on every screen, in standard and elder mode, measured
against reference/kiosk.md section 6 ("Numeric UI targets"). Any breach fails with its place.

The numbers below are copied from kiosk.md on purpose (not imported from the theme), so a
theme change that breaks the standard is caught.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtQuick import QQuickItem, QQuickWindow

from kiosk.core import Kiosk
from kiosk.services.recorder import ScriptedRecorder
from kiosk.walk import SCREENS, tree, walk
from tests.kiosk.conftest import KioskFactory, Ui


@dataclass(frozen=True)
class Targets:
    small: int  # smallest text anywhere
    body: int
    label: int
    title: int
    target: int  # any control, both sides
    tile_w: int
    tile_h: int
    spacing: int
    line_chars: int  # CJK characters per wrapped line
    key_w: int  # virtual-keyboard keys and Pinyin candidates
    key_h: int
    contrast: float = 7.0
    line_height: float = 1.5


KIOSK_MD = {
    "standard": Targets(
        small=24,
        body=32,
        label=40,
        title=48,
        target=80,
        tile_w=240,
        tile_h=200,
        spacing=24,
        line_chars=30,
        key_w=120,  # kiosk.md: keys >= 120 px wide, >= 100 px tall
        key_h=100,
    ),
    "elder": Targets(
        small=28,
        body=40,
        label=48,
        title=56,
        target=96,
        tile_w=300,
        tile_h=240,
        spacing=32,
        line_chars=24,
        # kiosk.md: "full-width keyboard, ~150 px keys": >= 150 px both ways. Landscape elder
        # keys are 174x150 (3 rows of 11, so the text field still fits above), portrait 152x156.
        key_w=150,
        key_h=150,
    ),
}


#: Texts that ask the villager what to do on their screen: body text at least (kiosk.md
#: section 6 keeps "smallest text" for footnotes and legal lines), whatever role they carry.
BODY_TEXT = frozenset({"appealTextPrompt"})


def luminance(c: QColor) -> float:
    def ch(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class Scene:
    """The visible items of one screen with their parent chain (see kiosk.walk.tree)."""

    def __init__(self, window: QQuickWindow) -> None:
        self.window = window
        pairs = tree(window)
        self.parent = {id(item): parent for item, parent in pairs}
        self.keep = pairs  # the wrappers must stay alive for id() to stay unique
        self.visible = [item for item, _ in pairs if self.shown(item)]

    def chain(self, item: QQuickItem) -> list[QQuickItem]:
        out = []
        node: QQuickItem | None = item
        while node is not None:
            out.append(node)
            node = self.parent[id(node)]
        return out

    def shown(self, item: QQuickItem) -> bool:
        if item.width() <= 0 or item.height() <= 0:
            return False
        return all(n.isVisible() and n.opacity() > 0 for n in self.chain(item))

    def inside(self, item: QQuickItem, root: QQuickItem) -> bool:
        return any(n is root for n in self.chain(item))

    def background(self, item: QQuickItem) -> QColor:
        """Colour of the nearest opaque Rectangle behind ``item`` (else the window)."""
        for node in self.chain(item)[1:]:
            if node.inherits("QQuickRectangle"):
                color = node.property("color")
                if isinstance(color, QColor) and color.alpha() == 255:
                    return color
        return self.window.color()


def rect(item: QQuickItem) -> QRectF:
    return item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))


def painted(text: QQuickItem) -> QRectF:
    """Where a Text item's glyphs are, in scene coordinates (its box may be wider)."""
    w, h = text.width(), text.height()
    cw, ch = float(text.property("contentWidth")), float(text.property("contentHeight"))
    # PySide cannot convert QQuickText's alignment enums; KText mirrors them as ints.
    h_align = int(prop(text, "alignH", 0))  # type: ignore[call-overload]
    v_align = int(prop(text, "alignV", 0))  # type: ignore[call-overload]
    x = {Qt.AlignmentFlag.AlignHCenter.value: (w - cw) / 2, Qt.AlignmentFlag.AlignRight.value: w - cw}.get(
        h_align, 0.0
    )
    y = {Qt.AlignmentFlag.AlignVCenter.value: (h - ch) / 2, Qt.AlignmentFlag.AlignBottom.value: h - ch}.get(
        v_align, 0.0
    )
    return text.mapRectToScene(QRectF(x, y, cw, ch))


def prop(item: QQuickItem, name: str, default: object = None) -> object:
    """A QML property, or ``default`` when the item has none (never ask PySide for a missing one)."""
    if item.metaObject().indexOfProperty(name) < 0:
        return default
    return item.property(name)


def measure(window: QQuickWindow, t: Targets, where: str) -> list[str]:
    breaches: list[str] = []
    scene = Scene(window)
    everything = scene.visible
    keyboard = [i for i in everything if i.objectName() == "inputPanel"]
    overlays = [i for i in everything if i.objectName() in ("idleWarning", "helpOverlay")]
    scope = overlays[-1] if overlays else None

    def on_keyboard(i: QQuickItem) -> bool:
        return any(scene.inside(i, k) for k in keyboard)

    up = bool(keyboard) and bool(keyboard[0].property("active"))

    def relevant(i: QQuickItem) -> bool:
        if on_keyboard(i):
            return up and scope is None  # parked below the screen when down
        return scope is None or scene.inside(i, scope)

    keys = [i for i in everything if on_keyboard(i) and prop(i, "isKey", False) and relevant(i)]
    for key in keys:
        r = rect(key)
        label = next(
            (
                str(x.property("text"))
                for x in everything
                if x.inherits("QQuickText") and scene.inside(x, key)
            ),
            "",
        )
        if r.width() < t.key_w - 0.5 or r.height() < t.key_h - 0.5:
            breaches.append(
                f"{where}: key {label!r} is {r.width():.0f}x{r.height():.0f} < {t.key_w}x{t.key_h}"
            )
    if up and len(keys) < 30:
        breaches.append(f"{where}: the keyboard is up but only {len(keys)} keys were found to measure")

    win = QRectF(0, 0, window.width(), window.height())
    for i in everything:
        if not relevant(i):
            continue
        if on_keyboard(i) and not win.contains(rect(i).adjusted(1, 1, -1, -1)):
            continue  # a candidate scrolled out of the candidate bar (a clipped list)
        name = i.objectName() or i.metaObject().className()
        if i.inherits("QQuickText") and str(i.property("text")).strip():
            text = str(i.property("text"))[:16]
            px = i.property("font").pixelSize()
            role = str(prop(i, "role", "small"))
            need = {"small": t.small, "body": t.body, "label": t.label, "title": t.title}[role]
            if i.objectName() in BODY_TEXT and need < t.body:
                need, role = t.body, f"{role} role, but the prompt of its screen"
            if px < need:
                breaches.append(f"{where}: text {text!r} is {px}px, {role} needs >= {need}px")
            ratio = contrast(i.property("color"), scene.background(i))
            if ratio < t.contrast:
                breaches.append(f"{where}: text {text!r} contrast {ratio:.1f}:1 < {t.contrast}:1")
            if int(i.property("lineCount")) > 1:
                chars = min(i.property("contentWidth"), i.width()) / px
                if chars > t.line_chars + 0.5:
                    breaches.append(f"{where}: text {text!r} lines of {chars:.0f} chars > {t.line_chars}")
                if i.property("lineHeight") < t.line_height:
                    breaches.append(f"{where}: text {text!r} line height {i.property('lineHeight')} < 1.5")
            if not win.contains(rect(i).adjusted(1, 1, -1, -1)):
                breaches.append(f"{where}: text {text!r} is cut off by the screen edge")
            elided = bool(i.property("truncated"))  # ElideRight shows "…": the words are cut, honestly
            if not elided and i.property("contentWidth") > i.width() + 1:
                breaches.append(f"{where}: text {text!r} does not fit its box")
        if prop(i, "isTarget", False):
            r = rect(i)
            if r.width() < t.target or r.height() < t.target:
                breaches.append(f"{where}: target {name} is {r.width():.0f}x{r.height():.0f} < {t.target}")
            if prop(i, "isTile", False) and (r.width() < t.tile_w or r.height() < t.tile_h):
                breaches.append(
                    f"{where}: tile {name} is {r.width():.0f}x{r.height():.0f} < {t.tile_w}x{t.tile_h}"
                )
            if not win.contains(r.adjusted(1, 1, -1, -1)):
                breaches.append(f"{where}: target {name} is cut off by the screen edge")
            if any(r.intersects(rect(k)) for k in keyboard):
                breaches.append(f"{where}: target {name} is hidden behind the keyboard")
    targets = [i for i in everything if prop(i, "isTarget", False) and relevant(i)]
    texts = [
        i
        for i in everything
        if i.inherits("QQuickText") and str(i.property("text")).strip() and relevant(i) and not on_keyboard(i)
    ]
    for text in texts:
        glyphs = painted(text).adjusted(1, 1, -1, -1)
        for target in targets:
            if not scene.inside(text, target) and glyphs.intersects(rect(target)):
                label = str(text.property("text"))[:16]
                breaches.append(f"{where}: text {label!r} is covered by {target.objectName() or 'a target'}")
    for n, a in enumerate(targets):
        for b in targets[n + 1 :]:
            ra, rb = rect(a), rect(b)
            if ra.intersects(rb):
                if not (scene.inside(a, b) or scene.inside(b, a)):
                    breaches.append(
                        f"{where}: {a.objectName() or 'target'} and {b.objectName() or 'target'} overlap"
                    )
                continue  # nested: a field inside its frame
            gap = max(
                rb.left() - ra.right(), ra.left() - rb.right(), rb.top() - ra.bottom(), ra.top() - rb.bottom()
            )
            if gap < t.spacing - 0.5:
                breaches.append(
                    f"{where}: {a.objectName() or 'target'} and {b.objectName() or 'target'}"
                    f" are {gap:.0f}px apart < {t.spacing}"
                )
    return breaches


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_every_screen_meets_the_numeric_ui_targets(
    make_kiosk: KioskFactory, make_ui: Callable[[Kiosk], Ui], qapp: object, orientation: str
) -> None:
    k = make_kiosk(recorder=ScriptedRecorder())
    ui = make_ui(k)
    breaches: list[str] = []
    seen = 0
    for mode, _, screen in walk(k, qapp, ui.window, orientation):
        breaches += measure(ui.window, KIOSK_MD[mode], f"{orientation}/{mode}/{screen}")
        seen += 1
        if screen == "appeal_candidates_next":  # the second page is what gets measured
            bar = next(i for i, _ in tree(ui.window) if i.objectName() == "candidateBar")
            assert bar.isVisible(), f"{mode}: no candidate bar on {screen}"
            assert int(bar.property("first")) > 0, f"{mode}: {screen} shows the first page"
    assert seen == 2 * len(SCREENS)
    assert not breaches, f"{len(breaches)} breaches of kiosk.md targets:\n" + "\n".join(sorted(set(breaches)))
