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
    """The 长辈模式 switch plus the size and colour tokens of the current mode."""

    changed = Signal()

    def __init__(self, default: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.default = default
        self._on = default

    @property
    def is_on(self) -> bool:
        """Python-side view of ``on``."""
        return self._on

    def page_size(self) -> int:
        """Python-side view of ``pageSize``."""
        return 3 if self._on else 4

    def token(self, name: str) -> int:
        """A size token of the current mode (for Python callers and tests)."""
        standard, elder = _TOKENS[name]
        return elder if self._on else standard

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

    @Property(int, notify=changed)
    def pageSize(self) -> int:
        """List rows per page: simpler screens in elder mode."""
        return self.page_size()

    @Property("QVariantMap", constant=True)  # type: ignore[arg-type]
    def color(self) -> dict[str, str]:
        """The palette (constant: both modes use the same >= 7:1 colours)."""
        return dict(PALETTE)
