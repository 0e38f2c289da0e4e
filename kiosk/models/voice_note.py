"""A voice note instead of typing (说话代替打字): record, stop, play back, record again.

For villagers who cannot type Pinyin. The kiosk stops talking before it listens (its
own voice must not end up in the recording), pauses the idle clock while recording,
stops by itself at ``max_s`` and says how long the note is. With no microphone it says
so in plain Chinese and the appeal form falls back to the keyboard. The recording
belongs to this villager only: it is deleted at the end of the session unless it was
submitted with the appeal (kiosk.services.voice_files).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.models.idle import IdleTimer
from kiosk.models.voice import Voice
from kiosk.services.recorder import VoiceRecorder
from kiosk.services.voice_files import VoiceFiles

MIN_MS = 1000
NO_MICROPHONE = "没有找到话筒，不能录音。请用键盘写，或请代办员帮忙。"
FAILED = "录音没有成功。请用键盘写，或请代办员帮忙。"


def spoken_length(seconds: int) -> str:
    """12 -> 12秒; 75 -> 1分15秒; 120 -> 2分钟."""
    minutes, rest = divmod(seconds, 60)
    if minutes and not rest:
        return f"{minutes}分钟"
    return f"{minutes}分{rest}秒" if minutes else f"{rest}秒"


class VoiceNote(QObject):
    """State of this villager's voice note."""

    changed = Signal()
    unavailable = Signal(str)  # no microphone, or recording failed: why, to say and show

    def __init__(  # noqa: PLR0917 - collaborators injected by kiosk.core only
        self,
        recorder: VoiceRecorder,
        files: VoiceFiles,
        voice: Voice,
        idle: IdleTimer,
        max_s: int,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.recorder = recorder
        self.files = files
        self.voice = voice
        self.idle = idle
        self.max_s = max_s
        self._state = "idle"  # idle | recording | recorded | playing
        self._ms = 0
        self._path: Path | None = None
        self._message = ""
        self._discard_next = False
        self._at_limit = False
        recorder.recordingChanged.connect(self._recording)
        recorder.durationChanged.connect(self._duration)
        recorder.finished.connect(self._finished)
        recorder.failed.connect(self._failed)
        recorder.playingChanged.connect(self._playing)

    # -- what QML shows ------------------------------------------------------------------

    @Property(str, notify=changed)
    def state(self) -> str:
        """idle / recording / recorded / playing."""
        return self._state

    @Property(int, notify=changed)
    def seconds(self) -> int:
        """Length recorded so far (or of the note)."""
        return self.length_s

    @property
    def length_s(self) -> int:
        """Python-side view of ``seconds``."""
        return self._ms // 1000

    @Property(str, notify=changed)
    def clock(self) -> str:
        """0:12 / 2:00, for the big counter."""
        s = self._ms // 1000
        return f"{s // 60}:{s % 60:02d} / {self.max_s // 60}:{self.max_s % 60:02d}"

    @Property(bool, notify=changed)
    def hasNote(self) -> bool:
        """A finished recording is waiting to be sent."""
        return self.has_note

    @property
    def has_note(self) -> bool:
        """Python-side view of ``hasNote``."""
        return self._path is not None and self._state in ("recorded", "playing")

    @Property(str, notify=changed)
    def message(self) -> str:
        """The line under the counter (what to do next)."""
        return self._message

    def available(self) -> bool:
        """Whether a microphone is there right now."""
        return self.recorder.available()

    # -- buttons -----------------------------------------------------------------------

    @Slot()
    def record(self) -> None:
        """开始录音 (also 重新录: the previous recording is dropped)."""
        if self._state == "recording":
            return
        if not self.available():
            self._unavailable(NO_MICROPHONE)
            return
        self._drop_recording()
        self.voice.quiet()  # the kiosk's own voice must not be in the note
        self._path = self.files.new_recording()
        self._ms = 0
        self._state = "recording"
        self._message = "正在录音，请对着话筒说。说完请点“停止”。"
        self.idle.hold(True)
        self.recorder.start(self._path)
        self.changed.emit()

    @Slot()
    def stop(self) -> None:
        """停止."""
        if self._state == "recording":
            self.recorder.stop()
        elif self._state == "playing":
            self.recorder.stop_playing()

    @Slot()
    def play(self) -> None:
        """播放: hear what was recorded."""
        if self._path is not None and self._state == "recorded":
            self.voice.quiet()
            self.recorder.play(self._path)

    def take(self, request_id: str) -> str | None:
        """Submit the note with appeal ``request_id``: moved to the outbox; its ``voice_ref``."""
        if not self.has_note or self._path is None:
            return None
        self.recorder.stop_playing()
        ref = self.files.submit(self._path, request_id)
        self._path = None
        self._state = "idle"
        self._ms = 0
        self._message = ""
        self.changed.emit()
        return ref

    def reset(self) -> None:
        """Session end or a new appeal: stop everything and delete what was not submitted."""
        if self._state == "recording":
            self._discard_next = True
            self.recorder.stop()
        self.recorder.stop_playing()
        self._path = None
        self._state = "idle"
        self._ms = 0
        self._message = ""
        self.idle.hold(False)
        self.files.clear_work()
        self.changed.emit()

    # -- what the recorder reports ---------------------------------------------------

    def _recording(self, recording: bool) -> None:
        if not recording and self._state == "recording":
            self.idle.hold(False)

    def _duration(self, ms: int) -> None:
        if self._state != "recording":
            return
        self._ms = ms
        self.changed.emit()
        if ms >= self.max_s * 1000:
            self._at_limit = True
            self.recorder.stop()

    def _finished(self, path: str) -> None:
        self.idle.hold(False)
        if self._discard_next or self._path is None or Path(path) != self._path:
            self._discard_next = False
            Path(path).unlink(missing_ok=True)
            return
        if self._ms < MIN_MS:
            self._drop_recording()
            self._state = "idle"
            self._message = "录得太短了，请再点“开始录音”说一遍。"
            self.voice.say(self._message, "voice.short")
            self.changed.emit()
            return
        self._state = "recorded"
        limit = f"录音最长{spoken_length(self.max_s)}，已经自动停止。" if self._at_limit else ""
        self._at_limit = False
        self._message = (
            f"{limit}录好了，一共{spoken_length(self._ms // 1000)}。可以点“播放”听一听，没问题就点“下一步”。"
        )
        self.voice.say(self._message, "voice.recorded")
        self.changed.emit()

    def _failed(self, reason: str) -> None:
        del reason  # logged by the recorder; the villager gets a plain sentence
        self.idle.hold(False)
        if self._discard_next:
            self._discard_next = False
            return
        self._drop_recording()
        self._state = "idle"
        self._unavailable(FAILED)

    def _playing(self, playing: bool) -> None:
        if self._path is None:
            return
        if playing:
            self._state = "playing"
        elif self._state == "playing":
            self._state = "recorded"
        self.changed.emit()

    def _unavailable(self, text: str) -> None:
        self._message = ""
        self.changed.emit()
        self.unavailable.emit(text)

    def _drop_recording(self) -> None:
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        self._path = None
        self._ms = 0
