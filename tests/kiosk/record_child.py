"""Child process for test_recording: a real kiosk records a voice note from PulseAudio.

The parent starts a private PulseAudio server whose only capture source carries what is
played into its null sink, and sets PULSE_SERVER. Here the kiosk's real recorder
(Qt Multimedia) records while espeak-ng's Mandarin is played into that sink, the note is
submitted with an appeal, decoded again to check it holds sound, and played back.
Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from array import array
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtMultimedia import QAudioDecoder, QAudioFormat

from kiosk.core import Kiosk
from kiosk.services.outbox import Outbox
from kiosk.services.recorder import QtVoiceRecorder
from kiosk.services.tts import RecordingSpeaker
from kiosk.walk import demo_config


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()
    return bool(callable(condition) and condition())


def peak(path: Path) -> float:
    """Largest sample of the decoded file, 0..1."""
    decoder = QAudioDecoder()
    fmt = QAudioFormat()
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    fmt.setChannelCount(1)
    fmt.setSampleRate(16000)
    decoder.setAudioFormat(fmt)
    decoder.setSource(QUrl.fromLocalFile(str(path)))
    samples = array("h")
    done: list[bool] = []

    def take() -> None:
        buffer = decoder.read()
        samples.frombytes(bytes(buffer.constData())[: buffer.byteCount()])

    decoder.bufferReady.connect(take)
    decoder.finished.connect(lambda: done.append(True))
    decoder.error.connect(lambda *_: done.append(False))
    decoder.start()
    wait_for(lambda: bool(done), 10)
    return max((abs(s) for s in samples), default=0) / 32768


def main() -> None:
    data, speech = Path(sys.argv[1]), Path(sys.argv[2])
    app = QGuiApplication(sys.argv[:1])
    k = Kiosk(demo_config(data), speaker=RecordingSpeaker(), online=False)
    out: dict[str, object] = {"recorder": type(k.recorder).__name__}
    assert isinstance(k.recorder, QtVoiceRecorder)
    out["available"] = k.note.available()
    k.nav.go("appeal")
    k.appeal.chooseCategory("power")
    k.appeal.chooseVillage("bz-t01-v01")
    k.appeal.useVoice()
    out["step"] = k.appeal.step
    k.note.record()
    out["recording"] = wait_for(lambda: k.note.seconds >= 0 and k.recorder._recorder is not None, 5)
    # The "villager" speaks: espeak-ng's Mandarin played into the sink the microphone hears.
    player = subprocess.Popen(["paplay", "--device=speaker", str(speech)])
    wait_for(lambda: k.note.seconds >= 2, 10)
    k.note.stop()
    player.kill()
    player.wait()
    out["recorded"] = wait_for(lambda: k.note.hasNote, 10)
    out["seconds"] = k.note.seconds
    out["message"] = k.note.message
    k.note.play()
    out["played"] = wait_for(lambda: k.note.state == "playing", 5)
    out["play_ended"] = wait_for(lambda: k.note.state == "recorded", 20)
    k.appeal.voiceNext()
    k.appeal.skipPhone()
    k.appeal.submit()
    [pending, *chunks] = Outbox(k.store).due(0)  # the appeal, then its note's MediaChunks
    out["chunks"] = len(chunks)
    out["voice_ref"] = pending.body.voice_ref  # type: ignore[union-attr]
    kept = k.voice_files.outbox / f"{pending.id}.m4a"
    out["bytes"] = kept.stat().st_size if kept.exists() else 0
    out["peak"] = round(peak(kept), 3) if kept.exists() else 0.0
    out["work_left"] = [p.name for p in k.voice_files.work.iterdir()]
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    k.stop()
    QCoreApplication.processEvents()
    del app


main()
