"""Elder mode (长辈模式) and the design tokens every QML view sizes itself from.

The numbers are reference/kiosk.md section 6 for a 21.5" 1920x1080 panel, in
device px at QT_SCALE_FACTOR=1. Views never hard-code a size or a colour; they
bind to this object, so switching elder mode re-lays out every screen at once
and tests/kiosk/test_ui_targets.py can check what is actually drawn.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal, Slot

#: (standard, elder) pairs. Targets and spacing are a notch above kiosk.md's minimums
#: so that rounding in layouts can never push a control below them.
_TOKENS: dict[str, tuple[int, int]] = {
    "small": (24, 28),  # smallest text anywhere
    "body": (32, 40),
    "label": (40, 48),  # tile and button labels
    "title": (48, 60),
    "target": (96, 112),  # every control's height (kiosk.md floor: 80 / 96)
    "gap": (32, 40),  # between controls (kiosk.md floor: 24 / 32)
    "margin": (40, 48),
    "bar": (128, 144),  # top bar height
}

#: Virtual-keyboard tokens per orientation, (standard, elder). kiosk.md: keys >= 120 px wide
#: and >= 100 px tall, elder ~150 px. Widths follow from the layouts (10 keys a row on
#: 1920 px = 190 px, 11 a row in elder landscape = 174 px; 7 a row on 1080 px = 152 px);
#: heights are set here. Elder landscape has 3 rows so that 150 px keys and the candidate
#: bar still leave the text field room above the keyboard (docs/kiosk.md "Keyboard").
_KEYS: dict[str, dict[str, tuple[int, int]]] = {
    "landscape": {"keyPx": (108, 150), "keyRows": (4, 3)},
    "portrait": {"keyPx": (132, 156), "keyRows": (5, 5)},
}
_KEY_COMMON: dict[str, tuple[int, int]] = {
    "keyGapPx": (8, 8),  # drawn gap inside each key's touch area
    "keyLabelPx": (48, 56),  # key and candidate labels (>= the label size)
    "keyMinWidthPx": (120, 150),  # narrowest candidate
}

#: Colours with their contrast against white or the page, all >= 7:1 (WCAG 1.4.6 AAA).
PALETTE = {
    "page": "#FFF8E1",  # cream page; ink #1A1A1A on it is 16.4:1
    "ink": "#1A1A1A",
    "onFill": "#FFFFFF",
    "bar": "#263238",  # 14.9:1 with white
    "blue": "#0D47A1",  # 8.6:1
    "green": "#1B5E20",  # 7.9:1
    "red": "#8E1B10",  # 9.1:1
    "purple": "#4A148C",  # 11.9:1
    "teal": "#004D40",  # 10.1:1
    "brown": "#3E2723",  # 15.1:1
    "slate": "#37474F",  # 10.0:1
    "card": "#FFFFFF",  # cards on the page; ink on it is 17.4:1
    "focus": "#0D47A1",
}


class ElderMode(QObject):
    """The 长辈模式 switch plus the size and colour tokens of the current mode and orientation."""

    changed = Signal()  # elder mode switched
    layoutChanged = Signal()  # orientation changed (the window follows the panel)
    keysChanged = Signal()  # either of the two: keyboard sizes depend on both

    def __init__(self, default: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.default = default
        self._on = default
        self._portrait = False

    def _get_portrait(self) -> bool:
        return self._portrait

    def _set_portrait(self, portrait: bool) -> None:
        if portrait != self._portrait:
            self._portrait = portrait
            self.layoutChanged.emit()
            self.keysChanged.emit()

    #: Set by Main.qml from the window's shape (1080x1920 panels are mounted upright).
    portrait = Property(bool, _get_portrait, _set_portrait, notify=layoutChanged)

    @property
    def is_on(self) -> bool:
        """Python-side view of ``on``."""
        return self._on

    def page_size(self) -> int:
        """Python-side view of ``pageSize``: fewer rows in elder mode, more on an upright panel."""
        if self._portrait:
            return 5 if self._on else 7
        return 3 if self._on else 4

    def token(self, name: str) -> int:
        """A size token of the current mode (and orientation, for the keyboard)."""
        pair = _TOKENS.get(name) or _KEY_COMMON.get(name)
        if pair is None:
            pair = _KEYS["portrait" if self._portrait else "landscape"][name]
        standard, elder = pair
        return elder if self._on else standard

    @Property(int, notify=keysChanged)
    def keyPx(self) -> int:
        """Height of a keyboard row (and of the candidate bar)."""
        return self.token("keyPx")

    @Property(int, notify=keysChanged)
    def candidatePx(self) -> int:
        """Height of the Pinyin candidate bar."""
        return self.token("keyPx")

    @Property(int, notify=keysChanged)
    def keyRows(self) -> int:
        """Rows of the kiosk keyboard layouts in this orientation."""
        return self.token("keyRows")

    @Property(int, notify=keysChanged)
    def keyGapPx(self) -> int:
        """Gap drawn between keys (inside their touch areas)."""
        return self.token("keyGapPx")

    @Property(int, notify=keysChanged)
    def keyLabelPx(self) -> int:
        """Key and candidate label size."""
        return self.token("keyLabelPx")

    @Property(int, notify=keysChanged)
    def keyMinWidthPx(self) -> int:
        """Narrowest candidate."""
        return self.token("keyMinWidthPx")

    @Property(str, constant=True)
    def keyFill(self) -> str:
        """Letter key colour (white labels on it: 18:1)."""
        return "#101820"

    @Property(bool, notify=changed)
    def on(self) -> bool:
        """Whether elder mode is on."""
        return self._on

    @Slot(bool)
    def setOn(self, on: bool) -> None:
        """Switch elder mode."""
        if on != self._on:
            self._on = on
            self.changed.emit()
            self.keysChanged.emit()

    @Slot()
    def toggle(self) -> None:
        """The always-visible switch on the top bar."""
        self.setOn(not self._on)

    def reset(self) -> None:
        """Back to the configured default for the next villager."""
        self.setOn(self.default)

    @Property(int, notify=changed)
    def smallPx(self) -> int:
        """Smallest text."""
        return self.token("small")

    @Property(int, notify=changed)
    def bodyPx(self) -> int:
        """Body text."""
        return self.token("body")

    @Property(int, notify=changed)
    def labelPx(self) -> int:
        """Tile and button labels."""
        return self.token("label")

    @Property(int, notify=changed)
    def titlePx(self) -> int:
        """Page titles."""
        return self.token("title")

    @Property(int, notify=changed)
    def targetPx(self) -> int:
        """Height (and minimum width) of every touch target."""
        return self.token("target")

    @Property(int, notify=changed)
    def gapPx(self) -> int:
        """Spacing between touch targets."""
        return self.token("gap")

    @Property(int, notify=changed)
    def marginPx(self) -> int:
        """Page margin."""
        return self.token("margin")

    @Property(int, notify=changed)
    def barPx(self) -> int:
        """Top bar height."""
        return self.token("bar")

    @Property(int, notify=changed)
    def lineChars(self) -> int:
        """Most CJK characters per wrapped line (kiosk.md: 30, elder 20-24)."""
        return 24 if self._on else 30

    @Property(int, notify=changed)  # also re-read on layoutChanged through the pagers
    def pageSize(self) -> int:
        """List rows per page: simpler screens in elder mode."""
        return self.page_size()

    @Property("QVariantMap", constant=True)  # type: ignore[arg-type]
    def color(self) -> dict[str, str]:
        """The palette (constant: both modes use the same >= 7:1 colours)."""
        return dict(PALETTE)
