"""好差评: five faces, each spoken when touched, sent on 提交, undoable for 10 minutes."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Property, QObject, Signal, Slot

from contract import payloads as p
from kiosk.models.assisted import Assisted
from kiosk.models.session import Session
from kiosk.models.voice import Voice
from kiosk.services.sync import Sync

#: score -> (label, colour token). 5 = 非常满意 as in the national 好差评 scale.
FACES: tuple[tuple[int, str, str], ...] = (
    (5, "非常满意", "green"),
    (4, "满意", "teal"),
    (3, "基本满意", "slate"),
    (2, "不满意", "brown"),
    (1, "非常不满意", "red"),
)


class Rating(QObject):
    """Rate this station's service (target: the kiosk node)."""

    changed = Signal()

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        sync: Sync,
        session: Session,
        voice: Voice,
        assisted: Assisted,
        target_id: str,
        undo_s: int = 600,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.sync = sync
        self.session = session
        self.voice = voice
        self.assisted = assisted
        self.target_id = target_id
        self.undo_s = undo_s
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Session end."""
        self._score = 0
        self._sent_id = ""
        self._sent_at = 0.0
        self._message = ""
        self.changed.emit()

    @Property(list, constant=True)
    def faces(self) -> list[dict[str, object]]:
        """The five faces."""
        return [{"score": s, "label": lab, "color": c} for s, lab, c in FACES]

    @Property(int, notify=changed)
    def score(self) -> int:
        """Chosen score (0 = none yet)."""
        return self._score

    @Property(bool, notify=changed)
    def sent(self) -> bool:
        """Whether this session's rating was submitted."""
        return bool(self._sent_id)

    @Property(str, notify=changed)
    def message(self) -> str:
        """Feedback line."""
        return self._message

    @Slot(int)
    def choose(self, score: int) -> None:
        """Touch a face: it is read aloud, nothing is sent yet."""
        if self._sent_id or score not in range(1, 6):
            return
        self._score = score
        face = next(lab for s, lab, _ in FACES if s == score)
        self._message = f"您选了：{face}。确定请点“提交评价”。"
        self.voice.say(self._message, f"rating.{score}")
        self.changed.emit()

    @Slot()
    def submit(self) -> None:
        """提交评价."""
        if not self._score or self._sent_id:
            return
        body = p.Rating(target_kind="service", target_id=self.target_id, score=self._score)
        self._sent_id = self.sync.submit(body, self.assisted.staff_id)
        self._sent_at = self.clock()
        self.assisted.record("rating", self._sent_id)
        self.session.count("rating")
        self._message = "谢谢您的评价！" + ("我们会尽快回访。" if self._score <= 2 else "")
        self.voice.say(self._message, "rating.thanks")
        self.changed.emit()

    @Slot()
    def undo(self) -> None:
        """Take the rating back: deleted if it never left, else withdrawn at the hub."""
        if not self._can_undo():
            return
        how = self.sync.undo(self._sent_id, self.assisted.staff_id)
        self.assisted.record("undo", self._sent_id)
        self._sent_id = ""
        self._score = 0
        told = "" if how == "deleted" else "镇上也会收到撤回。"
        self._message = f"已撤回评价，{told}可以重新选择。"
        self.voice.say(self._message, None)
        self.changed.emit()

    @Property(bool, notify=changed)
    def canUndo(self) -> bool:
        """For 10 minutes after 提交 (MIIT: submissions reversible within 10 min)."""
        return self._can_undo()

    def _can_undo(self) -> bool:
        return bool(self._sent_id) and self.clock() - self._sent_at <= self.undo_s
