"""Read-only content screens: notices and village affairs, weather and farming, health."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.models.elder import ElderMode
from kiosk.models.navigation import Navigation
from kiosk.models.pager import Pager
from kiosk.models.session import Session
from kiosk.models.voice import Voice
from kiosk.services.content import ContentStore


class Reading(QObject):
    """Notices (通知公告/三务公开), weather and farming calendar (天气农事), health (健康知识)."""

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
        self._notices = Pager(elder, self)
        self._health = Pager(elder, self)
        self._article: dict[str, Any] = {}
        nav.entered.connect(self._entered)
        self.reload()

    def reload(self) -> None:
        """Re-read from the content cache (after a push)."""
        self._notices.set_items(
            [
                {"id": n["id"], "label": n["title"], "kind": n["kind"], "date": n["date"]}
                for n in self._notice_items()
            ]
        )
        self._health.set_items(
            [{"id": h["id"], "label": h["title"]} for h in self.content.get("health")["items"]]
        )
        self.changed.emit()

    def reset(self) -> None:
        """Session end."""
        self._article = {}
        self._notices.reset()
        self._health.reset()
        self.changed.emit()

    @Property(QObject, constant=True)
    def notices(self) -> Pager:
        """Pager of notices."""
        return self._notices

    @Property(QObject, constant=True)
    def health(self) -> Pager:
        """Pager of health topics."""
        return self._health

    @Property("QVariantMap", notify=changed)  # type: ignore[arg-type]
    def article(self) -> dict[str, Any]:
        """The notice or health topic being read: title, meta line, body."""
        return self._article

    @Property(list, notify=changed)
    def weather(self) -> list[dict[str, str]]:
        """Cached forecast rows."""
        return self._weather()

    def _weather(self) -> list[dict[str, str]]:
        info = self.content.get("info")
        return [{"label": d["day"], "text": f"{d['text']}，{d['temp']}"} for d in info["weather"]["days"]]

    @Property(str, notify=changed)
    def weatherUpdated(self) -> str:
        """When the forecast was fetched (cached data must say how old it is)."""
        return f"天气更新于 {self.content.get('info')['weather']['updated']}"

    @Property(list, notify=changed)
    def farming(self) -> list[dict[str, str]]:
        """The next solar terms and what to do."""
        return self._farming()

    def _farming(self) -> list[dict[str, str]]:
        return [
            {"label": f"{t['term']}（{t['date']}）", "text": t["text"]}
            for t in self.content.get("info")["farming"]
        ]

    def _notice_items(self) -> list[dict[str, Any]]:
        """Notices and village affairs (三务公开) in one list, newest first."""
        rows = [
            {**n, "kind": n.get("kind") or default, "date": str(n["date"])}
            for kind, default in (("notices", "通知"), ("affairs", "村务公开"))
            for n in self.content.get(kind)["items"]
        ]
        return sorted(rows, key=lambda n: n["date"], reverse=True)

    @Slot(str)
    def openNotice(self, notice_id: str) -> None:
        """Open and read a notice or a disclosure."""
        n = next(x for x in self._notice_items() if x["id"] == notice_id)
        self._open({"title": n["title"], "meta": f"{n['kind']}　{n['date']}", "body": n["body"]}, "notice")

    @Slot(str)
    def openHealth(self, health_id: str) -> None:
        """Open and read a health topic."""
        h = next(x for x in self.content.get("health")["items"] if x["id"] == health_id)
        self._open({"title": h["title"], "meta": "健康知识", "body": h["body"]}, "notice")

    def _open(self, article: dict[str, Any], screen: str) -> None:
        self._article = article
        self.changed.emit()
        self.nav.go(screen)
        self.session.count("read")
        self.voice.say(f"{article['title']}。{article['body']}", None)

    def _entered(self, name: str) -> None:
        if name == "weather":
            first = self._weather()[0]
            term = self._farming()[0]
            self.voice.say(
                f"{first['label']}{first['text']}。农事提醒：{term['label']}，{term['text']}",
                "screen.weather",
            )
