"""Filing an appeal (我要反映): category -> village -> words or a voice note (+ optional phone)
-> confirm -> receipt.

The form holds the villager's words (and voice note) only until it is sent or the
session ends. ``submit`` writes the request to the outbox (fsynced; a voice note is
moved into the outbox directory first) before the receipt screen says anything, so
what the villager was told was received really is on disk.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from contract import payloads as p
from kiosk.config import KioskSection
from kiosk.models.assisted import Assisted
from kiosk.models.navigation import Navigation
from kiosk.models.receipt import ReceiptView
from kiosk.models.session import Session
from kiosk.models.voice import Voice
from kiosk.models.voice_note import NO_MICROPHONE, VoiceNote, spoken_length
from kiosk.services.content import ContentStore
from kiosk.services.ids import request_id
from kiosk.services.sync import Sync

STEPS = ("category", "village", "text", "voice", "phone", "confirm")
NEED_WORDS = "请先说一说是什么事：至少写两个字，或者点“说话代替打字”录一段话。"
MIN_TEXT = 2
MAX_TEXT = 500  # well under the contract's 4000; a kiosk appeal is a few sentences
_PHONE = re.compile(r"^1[3-9]\d{9}$")


def mask_phone(phone: str) -> str:
    """138****5678: never show or speak a whole phone number on a shared screen."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone


class AppealForm(QObject):
    """The appeal form, one step per screen so each screen asks one thing."""

    changed = Signal()
    typingRequested = Signal()  # QML: focus the text field so the keyboard comes up

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        kiosk: KioskSection,
        content: ContentStore,
        sync: Sync,
        nav: Navigation,
        session: Session,
        voice: Voice,
        assisted: Assisted,
        receipt: ReceiptView,
        note: VoiceNote,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.note = note
        note.unavailable.connect(self._no_voice)
        note.changed.connect(self.changed)
        self.kiosk = kiosk
        self.content = content
        self.sync = sync
        self.nav = nav
        self.session = session
        self.voice = voice
        self.assisted = assisted
        self.receipt = receipt
        self._villages = [kiosk.village, *kiosk.nearby_villages]
        self.reset()

    def reset(self) -> None:
        """Forget everything typed (session end, or after sending)."""
        self._step = "category"
        self._category = ""
        self._village = self.kiosk.village.id
        self._text = ""
        self._phone = ""
        self._error = ""
        self._via_voice = False
        self.note.reset()
        self.changed.emit()

    @Property(str, notify=changed)
    def step(self) -> str:
        """category / village / text / phone / confirm."""
        return self._step

    @Property(list, constant=True)
    def categories(self) -> list[dict[str, Any]]:
        """Appeal categories from the content cache."""
        return self._categories()

    def _categories(self) -> list[dict[str, Any]]:
        return [{"id": c["id"], "label": c["name"]} for c in self.content.get("categories")["items"]]

    @Property(list, constant=True)
    def villages(self) -> list[dict[str, str]]:
        """This village first, then its neighbours."""
        return [{"id": v.id, "label": v.name} for v in self._villages]

    @Property(str, notify=changed)
    def categoryLabel(self) -> str:
        """Name of the chosen category."""
        return self._category_label()

    def _category_label(self) -> str:
        return next((c["label"] for c in self._categories() if c["id"] == self._category), "")

    @Property(str, notify=changed)
    def villageLabel(self) -> str:
        """Name of the chosen village."""
        return self._village_label()

    def _village_label(self) -> str:
        return next((v.name for v in self._villages if v.id == self._village), "")

    @Property(str, notify=changed)
    def text(self) -> str:
        """What the villager typed."""
        return self._text

    @Property(str, notify=changed)
    def phoneMasked(self) -> str:
        """The phone as shown on the confirm screen (masked once complete)."""
        if not self._phone:
            return "不留电话"
        return mask_phone(self._phone) if len(self._phone) == 11 else self._phone

    @Slot(str)
    def pressDigit(self, digit: str) -> None:
        """Phone keypad: one digit (the number is never spoken, only how many digits)."""
        if digit.isdigit() and len(self._phone) < 11:
            self._phone += digit
            self._error = ""
            self.voice.say(f"已输入{len(self._phone)}位", "keypad.digit")
            self.changed.emit()

    @Slot()
    def erasePhone(self) -> None:
        """Phone keypad: 删除."""
        self._phone = self._phone[:-1]
        self.changed.emit()

    @Slot()
    def skipPhone(self) -> None:
        """不留电话."""
        self._phone = ""
        self.toConfirm()

    @Property(str, notify=changed)
    def error(self) -> str:
        """Why the villager cannot go on (said aloud too)."""
        return self._error

    @Property(bool, notify=changed)
    def canContinue(self) -> bool:
        """Whether 下一步 is allowed on the text step."""
        return self._has_words()

    def _has_words(self) -> bool:
        return len(self._text.strip()) >= MIN_TEXT or self.note.has_note

    @Property(str, notify=changed)
    def voiceLabel(self) -> str:
        """语音留言 12秒 (empty without a note)."""
        return f"语音留言 {spoken_length(self.note.length_s)}" if self.note.has_note else ""

    @Slot()
    def useVoice(self) -> None:
        """说话代替打字: the voice-note step, or, with no microphone, a clear word and the keyboard."""
        if not self.note.available():
            self._no_voice(NO_MICROPHONE)
            return
        self._step = "voice"
        self._via_voice = True
        self._error = ""
        self.voice.say("请点“开始录音”，对着话筒说是什么事，说完点“停止”。", "appeal.voice")
        self.changed.emit()

    @Slot()
    def useKeyboard(self) -> None:
        """改用键盘写 (a recording already made is kept and sent too)."""
        self.note.stop()
        self._step = "text"
        self._via_voice = False
        self._error = ""
        self.changed.emit()
        self.typingRequested.emit()

    @Slot()
    def voiceNext(self) -> None:
        """Voice step -> phone step."""
        if not self.note.has_note:
            self._fail("还没有录好。请点“开始录音”，说完点“停止”。")
            return
        self._step = "phone"
        self._prompt()

    def _no_voice(self, text: str) -> None:
        """No microphone or the recording failed: say so and fall back to typing."""
        self._step = "text"
        self._via_voice = False
        self._error = text
        self.voice.say(text, "appeal.no_microphone")
        self.changed.emit()
        self.typingRequested.emit()

    @Slot(str)
    def chooseCategory(self, category: str) -> None:
        """Step 1."""
        self._category = category
        self._step = "village" if len(self._villages) > 1 else "text"
        self._prompt()

    @Slot(str)
    def chooseVillage(self, village: str) -> None:
        """Step 2."""
        if any(v.id == village for v in self._villages):
            self._village = village
            self._step = "text"
            self._prompt()

    @Slot(str)
    def setText(self, text: str) -> None:
        """Bound to the text field (Pinyin keyboard)."""
        self._text = text[:MAX_TEXT]
        self._error = ""
        self.changed.emit()

    @Slot(str)
    def setPhone(self, phone: str) -> None:
        """Bound to the optional phone field."""
        self._phone = "".join(ch for ch in phone if ch.isdigit())[:11]
        self.changed.emit()

    @Slot()
    def toPhone(self) -> None:
        """Text step -> phone step, checking the words."""
        if not self._has_words():
            self._fail(NEED_WORDS)
            return
        self._step = "phone"
        self._prompt()

    @Slot()
    def toConfirm(self) -> None:
        """Phone step -> confirm, checking the optional phone."""
        if not self._has_words():
            self._fail(NEED_WORDS)
            return
        if self._phone and not _PHONE.match(self._phone):
            self._fail("电话号码要11位，以1开头。不想留电话可以不填。")
            return
        self._step = "confirm"
        words = f"内容是：{self._text}。" if self._text.strip() else ""
        note = f"还有一段{spoken_length(self.note.length_s)}的录音。" if self.note.has_note else ""
        self.voice.say(
            f"请核对：{self._category_label()}，{self._village_label()}。{words}{note}没问题请点“确认提交”。",
            None,
        )
        self.changed.emit()

    @Slot()
    def stepBack(self) -> None:
        """上一步 inside the form; from the first step it leaves the form."""
        skip = {"text" if self._via_voice else "voice"}
        if len(self._villages) <= 1:
            skip.add("village")
        if self._step == "voice":
            self.useKeyboard()
            return
        order = [s for s in STEPS if s not in skip]
        index = order.index(self._step)
        if index == 0:
            self.nav.back()
            return
        self._step = order[index - 1]
        self.changed.emit()

    @Slot()
    def submit(self) -> None:
        """确认提交: durable first, then the receipt."""
        if self._step != "confirm":
            return
        rid = request_id()
        code = self.sync.receipts.issue(rid, self._category)
        voice_ref = self.note.take(rid)  # the audio is in the outbox dir before the appeal is
        body = p.Appeal(
            category=self._category,
            village=self._village,
            text=self._text,
            voice_ref=voice_ref,
            contact=self._phone or None,
            receipt=code,  # the hub adopts it when free, so the code works at every kiosk
        )
        media = self.note.files.chunks(rid) if voice_ref is not None else []
        self.sync.submit(body, self.assisted.staff_id, rid=rid, media=media)
        self.assisted.record("appeal", rid)
        self.session.count("appeal")
        self.receipt.show(rid, code, self._category_label())
        self.reset()
        self.nav.replace("receipt")

    def _prompt(self) -> None:
        spoken = {
            "village": "请选择是哪个村的事。",
            "text": "请用下面的键盘写一写是什么事，写好后点“下一步”。",
            "phone": "需要回电话的话，请输入手机号；不需要就点“不留电话”。",
        }
        self.voice.say(spoken.get(self._step, ""), f"appeal.{self._step}")
        self.changed.emit()

    def _fail(self, text: str) -> None:
        self._error = text
        self.voice.say(text, None)
        self.changed.emit()
