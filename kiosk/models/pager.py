"""Paged lists: tap-only navigation (上一页/下一页) instead of scrolling or swiping."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.models.elder import ElderMode


class Pager(QObject):
    """A list shown ``elder.pageSize`` rows at a time."""

    changed = Signal()

    def __init__(self, elder: ElderMode, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.elder = elder
        self._items: list[dict[str, Any]] = []
        self._page = 0
        elder.changed.connect(self._relayout)
        elder.layoutChanged.connect(self._relayout)

    def set_items(self, items: list[dict[str, Any]]) -> None:
        """Replace the list and go to its first page."""
        self._items = list(items)
        self._page = 0
        self.changed.emit()

    @property
    def items(self) -> list[dict[str, Any]]:
        """All rows."""
        return self._items

    def _relayout(self) -> None:
        self._page = min(self._page, max(0, self.pages() - 1))
        self.changed.emit()

    def pages(self) -> int:
        """Number of pages (at least 1)."""
        size = self.elder.page_size()
        return max(1, -(-len(self._items) // size))

    @Property(list, notify=changed)
    def rows(self) -> list[dict[str, Any]]:
        """Rows of the current page."""
        size = self.elder.page_size()
        return self._items[self._page * size : (self._page + 1) * size]

    @Property(str, notify=changed)
    def pageLabel(self) -> str:
        """第1页，共3页."""
        return f"第{self._page + 1}页，共{self.pages()}页"

    @Property(bool, notify=changed)
    def hasPrev(self) -> bool:
        """Whether 上一页 is possible."""
        return self._page > 0

    @Property(bool, notify=changed)
    def hasNext(self) -> bool:
        """Whether 下一页 is possible."""
        return self._page + 1 < self.pages()

    @Slot()
    def prev(self) -> None:
        """上一页."""
        if self._page > 0:
            self._page -= 1
            self.changed.emit()

    @Slot()
    def next(self) -> None:
        """下一页."""
        if self._page + 1 < self.pages():
            self._page += 1
            self.changed.emit()

    def reset(self) -> None:
        """First page."""
        self._page = 0
        self.changed.emit()
