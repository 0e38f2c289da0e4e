"""Read-aloud for every screen: captions, "hear again" (再听一遍), volume that resets per villager.

Every utterance is also shown as a caption (EN 301 549 5.1.5), so a deaf villager
or a kiosk with no working speaker loses nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.config import VoiceSection
from kiosk.models.elder import ElderMode
from kiosk.services.tts import Speaker

VOLUME_STEP = 10


class Voice(QObject):
    """Speaks prompts with the rate of the current mode and keeps the last one for 'hear again'."""

    changed = Signal()

    def __init__(self, speaker: Speaker, cfg: VoiceSection, elder: ElderMode, parent: QObject | None = None):
        super().__init__(parent)
        self.speaker = speaker
        self.cfg = cfg
        self.elder = elder
        self._volume = cfg.volume
        self._caption = ""
        self._prompt: str | None = None

    @property
    def rate(self) -> int:
        """Words per minute: about 20% slower in elder mode."""
        return self.cfg.elder_rate if self.elder.is_on else self.cfg.rate

    def say(self, text: str, prompt: str | None = None) -> None:
        """Speak ``text`` now (a recorded ``prompt`` file wins if one exists)."""
        self._caption = text
        self._prompt = prompt
        self.speaker.say(text, prompt=prompt, rate=self.rate, volume=self._volume)
        self.changed.emit()

    def quiet(self) -> None:
        """Stop talking now (before listening to the microphone); the caption stays."""
        self.speaker.stop()

    @Property(str, notify=changed)
    def caption(self) -> str:
        """What was said last (shown on screen)."""
        return self._caption

    @Property(int, notify=changed)
    def volume(self) -> int:
        """Current volume 0-100."""
        return self._volume

    @Slot()
    def hearAgain(self) -> None:
        """The 再听一遍 button."""
        if self._caption:
            self.say(self._caption, self._prompt)

    @Slot()
    def louder(self) -> None:
        """Volume up one step, capped by config (EN 301 549 5.1.3.12)."""
        self._volume = min(self.cfg.max_volume, self._volume + VOLUME_STEP)
        self.say("音量大一点了", "volume.up")

    @Slot()
    def quieter(self) -> None:
        """Volume down one step."""
        self._volume = max(VOLUME_STEP, self._volume - VOLUME_STEP)
        self.say("音量小一点了", "volume.down")

    def reset(self) -> None:
        """Session end: stop talking, forget the last prompt, volume back to default (EN 5.1.3.13)."""
        self.speaker.stop()
        self._volume = self.cfg.volume
        self._caption = ""
        self._prompt = None
        self.changed.emit()
