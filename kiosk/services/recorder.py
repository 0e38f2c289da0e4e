"""Voice notes: record from the microphone and play back, behind one small seam.

``VoiceRecorder`` is what the VoiceNote model needs; ``QtVoiceRecorder`` implements it
with Qt Multimedia (QMediaCaptureSession + QAudioInput + QMediaRecorder to record,
QMediaPlayer + QAudioOutput to play back), writing AAC in an .m4a file (mono, 16 kHz,
32 kbit/s: about 240 KB a minute). Tests and the simulator use fakes of the same class.

Qt finds microphones through PulseAudio or PipeWire (``QMediaDevices.audioInputs()``).
With no sound server, or one without a capture source, there is no input and the
kiosk says so and offers the keyboard instead. The Qt objects are built on first use,
so a kiosk that never records never loads the media backend.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl, Signal

if TYPE_CHECKING:
    from PySide6.QtMultimedia import (
        QAudioInput,
        QAudioOutput,
        QMediaCaptureSession,
        QMediaPlayer,
        QMediaRecorder,
    )

log = logging.getLogger("kiosk.recorder")

SUFFIX = ".m4a"


class VoiceRecorder(QObject):
    """The seam: one recording or one playback at a time."""

    recordingChanged = Signal(bool)
    durationChanged = Signal(int)  # ms recorded so far
    finished = Signal(str)  # path of a complete recording
    failed = Signal(str)  # what went wrong (for the log; villagers hear a plain sentence)
    playingChanged = Signal(bool)

    def available(self) -> bool:
        """Whether there is a microphone to record from."""
        raise NotImplementedError

    def start(self, path: Path) -> None:
        """Start recording into ``path`` (its parent exists)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop recording; ``finished`` or ``failed`` follows."""
        raise NotImplementedError

    def play(self, path: Path) -> None:
        """Play a recording back through the speaker."""
        raise NotImplementedError

    def stop_playing(self) -> None:
        """Stop playback."""
        raise NotImplementedError


class QtVoiceRecorder(VoiceRecorder):
    """Qt Multimedia, created on first use."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._session: QMediaCaptureSession | None = None
        self._input: QAudioInput | None = None
        self._recorder: QMediaRecorder | None = None
        self._player: QMediaPlayer | None = None
        self._output: QAudioOutput | None = None

    def available(self) -> bool:
        """A capture device is listed by the sound server."""
        from PySide6.QtMultimedia import QMediaDevices

        return bool(QMediaDevices.audioInputs())

    def _build(self) -> tuple[QAudioInput, QMediaRecorder]:
        if self._input is None or self._recorder is None:
            from PySide6.QtMultimedia import QAudioInput, QMediaCaptureSession, QMediaFormat, QMediaRecorder

            self._session = QMediaCaptureSession(self)
            self._input = QAudioInput(self)
            self._session.setAudioInput(self._input)
            self._recorder = QMediaRecorder(self)
            self._session.setRecorder(self._recorder)
            fmt = QMediaFormat(QMediaFormat.FileFormat.Mpeg4Audio)
            fmt.setAudioCodec(QMediaFormat.AudioCodec.AAC)
            self._recorder.setMediaFormat(fmt)
            self._recorder.setAudioChannelCount(1)
            self._recorder.setAudioSampleRate(16000)
            self._recorder.setAudioBitRate(32000)
            self._recorder.setQuality(QMediaRecorder.Quality.NormalQuality)
            self._recorder.recorderStateChanged.connect(self._state)
            self._recorder.durationChanged.connect(self._duration)
            self._recorder.errorOccurred.connect(self._error)
        return self._input, self._recorder

    def start(self, path: Path) -> None:
        """Record the default microphone into ``path``."""
        from PySide6.QtMultimedia import QMediaDevices

        audio_input, recorder = self._build()
        audio_input.setDevice(QMediaDevices.defaultAudioInput())
        self._path = path
        recorder.setOutputLocation(QUrl.fromLocalFile(str(path)))
        recorder.record()

    def stop(self) -> None:
        """Stop; Qt finalises the file and reports StoppedState."""
        if self._recorder is not None:
            self._recorder.stop()

    def _state(self, state: QMediaRecorder.RecorderState) -> None:
        from PySide6.QtMultimedia import QMediaRecorder

        self.recordingChanged.emit(state == QMediaRecorder.RecorderState.RecordingState)
        if state == QMediaRecorder.RecorderState.StoppedState and self._path is not None:
            path, self._path = self._path, None
            if path.is_file() and path.stat().st_size > 0:
                self.finished.emit(str(path))
            else:
                self.failed.emit("the recorder stopped without writing a file")

    def _duration(self, ms: int) -> None:
        self.durationChanged.emit(int(ms))

    def _error(self, error: QMediaRecorder.Error, text: str) -> None:
        log.warning("recording failed: %s %s", error, text)
        self._path = None
        self.failed.emit(text or str(error))

    def play(self, path: Path) -> None:
        """Play ``path`` on the default output."""
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

        if self._player is None:
            self._player = QMediaPlayer(self)
            self._output = QAudioOutput(self)
            self._player.setAudioOutput(self._output)
            self._player.playbackStateChanged.connect(self._playback)
            self._player.errorOccurred.connect(self._play_error)
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()

    def _playback(self, state: QMediaPlayer.PlaybackState) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        self.playingChanged.emit(state == QMediaPlayer.PlaybackState.PlayingState)

    def _play_error(self, error: QMediaPlayer.Error, text: str) -> None:
        log.warning("playback failed: %s %s", error, text)
        self.playingChanged.emit(False)

    def stop_playing(self) -> None:
        """Stop playback (and let go of the file)."""
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())


class ScriptedRecorder(VoiceRecorder):
    """No microphone behind it: for the simulator, the screenshot walk and tests.

    ``present=False`` behaves like a kiosk with no microphone. ``tick(ms)`` advances the
    recording clock as Qt's durationChanged would; ``stop()`` writes a placeholder file
    (not audio) and reports it finished. Playback only reports that it started.
    """

    PLACEHOLDER = b"cunlink scripted voice note (no audio)\n"

    def __init__(self, present: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.present = present
        self.path: Path | None = None
        self.ms = 0
        self.played: list[Path] = []
        self.playing = False

    def available(self) -> bool:
        """Whether the pretend microphone is plugged in."""
        return self.present

    def start(self, path: Path) -> None:
        """Begin a pretend recording."""
        self.path = path
        self.ms = 0
        self.recordingChanged.emit(True)

    def tick(self, ms: int) -> None:
        """Time passes while the villager speaks."""
        if self.path is not None:
            self.ms += ms
            self.durationChanged.emit(self.ms)

    def stop(self) -> None:
        """Finish: the file is written and reported."""
        if self.path is None:
            return
        path, self.path = self.path, None
        path.write_bytes(self.PLACEHOLDER)
        self.recordingChanged.emit(False)
        self.finished.emit(str(path))

    def fail(self, reason: str) -> None:
        """The device went away mid-recording."""
        self.path = None
        self.recordingChanged.emit(False)
        self.failed.emit(reason)

    def play(self, path: Path) -> None:
        """Pretend to play."""
        self.played.append(path)
        self.playing = True
        self.playingChanged.emit(True)

    def stop_playing(self) -> None:
        """Pretend to stop."""
        if self.playing:
            self.playing = False
            self.playingChanged.emit(False)
