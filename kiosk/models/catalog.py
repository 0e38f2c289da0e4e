"""The offline service-item guide (办事指南): group -> item -> can it be done here, materials, where, time."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.models.elder import ElderMode
from kiosk.models.navigation import Navigation
from kiosk.models.pager import Pager
from kiosk.models.session import Session
from kiosk.models.voice import Voice
from kiosk.services.content import ContentStore


class Catalog(QObject):
    """Browse the catalog in three taps: 办事指南 -> group -> item."""

    changed = Signal()

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        content: ContentStore,
        nav: Navigation,
        session: Session,
        voice: Voice,
        elder: ElderMode,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.content = content
        self.nav = nav
        self.session = session
        self.voice = voice
        self._groups = Pager(elder, self)
        self._items = Pager(elder, self)
        self._item: dict[str, Any] = {}
        self._group = ""
        self.reload()

    def reload(self) -> None:
        """Re-read the cached catalog (after a content push)."""
        items = self.content.get("catalog")["items"]
        names: list[str] = []
        for item in items:
            if item["group"] not in names:
                names.append(item["group"])
        self._groups.set_items([{"id": n, "label": n} for n in names])

    @Property(QObject, constant=True)
    def groups(self) -> Pager:
        """Pager of groups."""
        return self._groups

    @Property(QObject, constant=True)
    def items(self) -> Pager:
        """Pager of the items of the chosen group."""
        return self._items

    @Property(str, notify=changed)
    def group(self) -> str:
        """The chosen group."""
        return self._group

    @Property("QVariantMap", notify=changed)  # type: ignore[arg-type]
    def item(self) -> dict[str, Any]:
        """The chosen item, with display strings prepared (no logic in QML)."""
        return self._item

    @Slot(str)
    def openGroup(self, group: str) -> None:
        """Tap 2: a group."""
        self._group = group
        rows = [i for i in self.content.get("catalog")["items"] if i["group"] == group]
        self._items.set_items([{"id": i["id"], "label": i["name"]} for i in rows])
        self.changed.emit()
        self.nav.go("guide_items")

    @Slot(str)
    def openItem(self, item_id: str) -> None:
        """Tap 3: an item's guide."""
        raw = next(i for i in self.content.get("catalog")["items"] if i["id"] == item_id)
        here = "可以在本站办理" if raw["local"] else "本站不能办理，请按下面的地方去办"
        self._item = {
            "id": raw["id"],
            "name": raw["name"],
            "local": bool(raw["local"]),
            "here": here,
            "materials": "、".join(raw["materials"]),
            "where": raw["where"],
            "timeLimit": raw["time_limit"],
        }
        self.changed.emit()
        self.nav.go("guide_item")
        self.session.count("guide_item")
        self.voice.say(
            f"{raw['name']}。{here}。要带：{self._item['materials']}。办理地点：{raw['where']}。"
            f"办理时限：{raw['time_limit']}。",
            f"guide.{raw['id']}",
        )

    def reset(self) -> None:
        """Session end."""
        self._group = ""
        self._item = {}
        self._groups.reset()
        self._items.set_items([])
        self.changed.emit()
