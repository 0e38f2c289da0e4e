"""Surveys and consultations on village matters: read aloud, one answer per survey per session.

Without identity the kiosk cannot enforce one answer per *person* (Vote.voter_ref
stays empty); it enforces one per session, and the hub sees kiosk and time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from contract import payloads as p
from kiosk.models.assisted import Assisted
from kiosk.models.elder import ElderMode
from kiosk.models.navigation import Navigation
from kiosk.models.pager import Pager
from kiosk.models.session import Session
from kiosk.models.voice import Voice
from kiosk.services.content import ContentStore
from kiosk.services.sync import Sync


class Surveys(QObject):
    """List of open surveys, one survey's question, and the vote."""

    changed = Signal()

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        content: ContentStore,
        sync: Sync,
        nav: Navigation,
        session: Session,
        voice: Voice,
        assisted: Assisted,
        elder: ElderMode,
        undo_s: int = 600,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.undo_s = undo_s
        self.clock = clock
        self.content = content
        self.sync = sync
        self.nav = nav
        self.session = session
        self.voice = voice
        self.assisted = assisted
        self._list = Pager(elder, self)
        # survey id -> (request id, label, when), this session
        self._answered: dict[str, tuple[str, str, float]] = {}
        self._current: dict[str, Any] = {}
        self.reload()

    def reload(self) -> None:
        """Re-read surveys from the content cache."""
        rows = self.content.get("surveys")["items"]
        self._list.set_items([{"id": s["id"], "label": s["title"], "kind": s["kind"]} for s in rows])

    def reset(self) -> None:
        """Session end: forget the answers given (they are in the outbox or at the hub)."""
        self._answered.clear()
        self._current = {}
        self._list.reset()
        self.changed.emit()

    @Property(QObject, constant=True)
    def list(self) -> Pager:
        """Pager of surveys."""
        return self._list

    @Property("QVariantMap", notify=changed)  # type: ignore[arg-type]
    def current(self) -> dict[str, Any]:
        """The open survey with its choices and the answer given, if any."""
        return self._current

    @Slot(str)
    def open(self, survey_id: str) -> None:
        """Open one survey and read it aloud."""
        raw = next(s for s in self.content.get("surveys")["items"] if s["id"] == survey_id)
        self._current = {
            "id": raw["id"],
            "kind": raw["kind"],
            "title": raw["title"],
            "body": raw["body"],
            "choices": [{"id": c["id"], "label": c["name"]} for c in raw["choices"]],
        }
        self._refresh_answer()
        self.nav.go("survey")
        names = "、".join(c["name"] for c in raw["choices"])
        self.voice.say(f"{raw['title']}。{raw['body']}可以选：{names}。", f"survey.{raw['id']}")

    @Slot(str)
    def vote(self, choice: str) -> None:
        """Answer the open survey (once per session)."""
        sid = self._current.get("id")
        if not sid or sid in self._answered:
            return
        label = next((c["label"] for c in self._current["choices"] if c["id"] == choice), None)
        if label is None:
            return
        rid = self.sync.submit(p.Vote(item_id=sid, choice=choice), self.assisted.staff_id)
        self._answered[sid] = (rid, label, self.clock())
        self.assisted.record("vote", rid)
        self.session.count("vote")
        self._refresh_answer()
        self.voice.say(f"您选了：{label}。谢谢参与！", "survey.thanks")

    @Slot()
    def undo(self) -> None:
        """Take the vote back within 10 minutes (deleted if unsent, else withdrawn at the hub)."""
        sid = str(self._current.get("id", ""))
        rid, _, at = self._answered.get(sid, ("", "", 0.0))
        if not rid or self.clock() - at > self.undo_s:
            return
        how = self.sync.undo(rid, self.assisted.staff_id)
        self.assisted.record("undo", rid)
        del self._answered[sid]
        self._refresh_answer()
        told = "" if how == "deleted" else "镇上也会收到撤回。"
        self.voice.say(f"已撤回，{told}可以重新选择。", None)

    def _refresh_answer(self) -> None:
        sid = str(self._current.get("id", ""))
        rid, label, at = self._answered.get(sid, ("", "", 0.0))
        self._current = {
            **self._current,
            "answered": bool(rid),
            "answer": label if rid else "",
            "canUndo": bool(rid) and self.clock() - at <= self.undo_s,
        }
        self.changed.emit()
