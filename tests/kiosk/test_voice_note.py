"""Voice note instead of typing: the model, the real QML, and a kiosk with no microphone.

The recording path with a real sound device is tests/kiosk/test_recording.py. Here the
recorder is kiosk.services.recorder.ScriptedRecorder (a seam we own) except in the
no-microphone test, which uses the real Qt Multimedia recorder on a machine without
any capture device.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtMultimedia import QMediaDevices
from pytestqt.qtbot import QtBot

from contract import payloads as p
from kiosk.core import Kiosk
from kiosk.models.voice_note import NO_MICROPHONE
from kiosk.services.outbox import Outbox
from kiosk.services.recorder import QtVoiceRecorder, ScriptedRecorder
from tests.kiosk.conftest import KioskFactory, Ui, said
from tests.kiosk.qmldrive import item, tap

MakeUi = Callable[[Kiosk], Ui]


def to_voice_step(k: Kiosk) -> None:
    k.nav.go("appeal")
    k.appeal.chooseCategory("water")
    k.appeal.chooseVillage("bz-t01-v01")
    k.appeal.useVoice()


def recorder(k: Kiosk) -> ScriptedRecorder:
    assert isinstance(k.recorder, ScriptedRecorder)
    return k.recorder


def test_a_voice_note_replaces_typing_and_is_kept_in_the_outbox_dir(make_kiosk: KioskFactory) -> None:
    k = make_kiosk(recorder=ScriptedRecorder())
    to_voice_step(k)
    assert k.appeal.step == "voice"
    assert "开始录音" in said(k)[-1]
    k.note.record()
    assert k.note.state == "recording"
    assert k.idle.held, "no idle timeout while the villager is speaking"
    recorder(k).tick(14_500)
    assert k.note.clock.startswith("0:14")
    k.note.stop()
    assert k.note.hasNote
    assert not k.idle.held
    assert "14秒" in said(k)[-1]
    k.note.play()
    assert k.note.state == "playing"
    k.note.stop()
    assert k.note.state == "recorded"
    k.appeal.voiceNext()
    k.appeal.skipPhone()
    assert k.appeal.step == "confirm"
    assert "14秒的录音" in said(k)[-1]
    k.appeal.submit()
    [pending, chunk] = Outbox(k.store).due(0)  # the appeal, then its note in one MediaChunk
    assert isinstance(chunk.body, p.MediaChunk)
    assert chunk.body.ref == f"kiosk://kiosk-bz-0001/voice/{pending.id}.m4a"
    assert isinstance(pending.body, p.Appeal)
    assert pending.body.text == ""
    assert pending.body.voice_ref == f"kiosk://kiosk-bz-0001/voice/{pending.id}.m4a"
    kept = k.voice_files.outbox / f"{pending.id}.m4a"
    assert kept.read_bytes() == ScriptedRecorder.PLACEHOLDER
    assert list(k.voice_files.work.iterdir()) == [], "nothing of the villager left in the work dir"
    assert k.metrics()["kiosk_voice_notes_pending"] == 1
    # Undo before upload: the appeal, its chunks and its audio are gone.
    k.receipt.undo()
    assert not kept.exists()
    assert k.sync.outbox.depth() == k.sync.outbox.media_depth() == 0


def test_short_or_failed_recordings_and_the_wipe_leave_nothing(make_kiosk: KioskFactory) -> None:
    k = make_kiosk(recorder=ScriptedRecorder())
    to_voice_step(k)
    k.note.record()
    recorder(k).tick(300)
    k.note.stop()
    assert not k.note.hasNote
    assert "太短" in k.note.message
    k.note.record()
    recorder(k).fail("device unplugged")
    assert k.appeal.step == "text", "a failed recording falls back to typing"
    assert "录音没有成功" in k.appeal.error
    k.appeal.useVoice()
    k.note.record()
    recorder(k).tick(5000)
    k.session.finish()  # walks away mid-recording
    assert list(k.voice_files.work.iterdir()) == []
    assert not k.idle.held
    assert k.appeal.step == "category"


def test_recording_stops_by_itself_at_the_limit(make_kiosk: KioskFactory) -> None:
    k = make_kiosk(recorder=ScriptedRecorder())
    to_voice_step(k)
    k.note.record()
    recorder(k).tick(k.cfg.voice.note_max_s * 1000)
    assert k.note.hasNote
    assert "录音最长2分钟，已经自动停止" in k.note.message
    assert "一共2分钟" in said(k)[-1]


def test_voice_and_words_together_and_back_to_the_keyboard(make_kiosk: KioskFactory) -> None:
    k = make_kiosk(recorder=ScriptedRecorder())
    to_voice_step(k)
    k.appeal.voiceNext()
    assert "还没有录好" in k.appeal.error
    k.note.record()
    recorder(k).tick(3000)
    k.note.stop()
    k.appeal.useKeyboard()
    assert k.appeal.step == "text"
    assert k.appeal.canContinue, "the recording counts as the words"
    k.appeal.setText("水是浑的")
    k.appeal.toPhone()
    k.appeal.skipPhone()
    k.appeal.submit()
    [pending, chunk] = Outbox(k.store).due(0)  # the appeal, then its note in one MediaChunk
    assert isinstance(chunk.body, p.MediaChunk)
    assert chunk.body.ref == f"kiosk://kiosk-bz-0001/voice/{pending.id}.m4a"
    assert isinstance(pending.body, p.Appeal)
    assert pending.body.text == "水是浑的"
    assert pending.body.voice_ref is not None


def test_record_stop_play_on_the_real_screen(make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot) -> None:
    k = make_kiosk(recorder=ScriptedRecorder())
    w = make_ui(k).window
    tap(qtbot, w, "tile_appeal")
    tap(qtbot, w, "cat_roads")
    tap(qtbot, w, "village_bz-t01-v01")
    tap(qtbot, w, "btnUseVoice")
    qtbot.waitUntil(lambda: item(w, "btnRecord").isVisible(), timeout=5000)
    assert item(w, "btnRecord").height() >= 1.5 * k.elder.targetPx - 1, "big buttons"
    tap(qtbot, w, "btnRecord")
    qtbot.waitUntil(lambda: item(w, "btnStopRecording").isVisible(), timeout=5000)
    recorder(k).tick(8000)
    qtbot.waitUntil(lambda: "正在录音" in str(item(w, "voiceClock").property("text")), timeout=5000)
    tap(qtbot, w, "btnStopRecording")
    qtbot.waitUntil(lambda: item(w, "btnPlay").isVisible(), timeout=5000)
    tap(qtbot, w, "btnPlay")
    assert recorder(k).played
    tap(qtbot, w, "btnStopRecording")
    qtbot.waitUntil(lambda: item(w, "btnVoiceNext").isVisible(), timeout=5000)
    tap(qtbot, w, "btnVoiceNext")
    qtbot.waitUntil(lambda: item(w, "btnSkipPhone").isVisible(), timeout=5000)
    tap(qtbot, w, "btnSkipPhone")
    qtbot.waitUntil(lambda: item(w, "btnSubmit").isVisible(), timeout=5000)
    assert "8秒" in str(item(w, "confirmVoice").property("text"))
    tap(qtbot, w, "btnSubmit")
    qtbot.waitUntil(lambda: k.nav.screen == "receipt", timeout=5000)
    [pending, chunk] = Outbox(k.store).due(0)  # the appeal, then its note in one MediaChunk
    assert isinstance(chunk.body, p.MediaChunk)
    assert chunk.body.ref == f"kiosk://kiosk-bz-0001/voice/{pending.id}.m4a"
    assert isinstance(pending.body, p.Appeal)
    assert pending.body.voice_ref


def test_with_no_microphone_the_villager_is_told_in_chinese_and_can_type(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot
) -> None:
    if QMediaDevices.audioInputs():
        pytest.skip("this machine has a microphone; the no-microphone case needs none")
    k = make_kiosk()  # the real Qt Multimedia recorder, on a machine with no capture device
    assert isinstance(k.recorder, QtVoiceRecorder)
    assert not k.note.available()
    w = make_ui(k).window
    tap(qtbot, w, "tile_appeal")
    tap(qtbot, w, "cat_power")
    tap(qtbot, w, "village_bz-t01-v01")
    tap(qtbot, w, "btnUseVoice")
    qtbot.waitUntil(lambda: str(item(w, "appealTextPrompt").property("text")) == NO_MICROPHONE, timeout=5000)
    assert "没有找到话筒" in NO_MICROPHONE
    assert "键盘" in NO_MICROPHONE
    assert said(k)[-1] == NO_MICROPHONE  # said aloud as well as shown
    assert k.appeal.step == "text"
    # Falls back to typing: the keyboard is up on the text field without another tap.
    qtbot.waitUntil(lambda: bool(item(w, "inputPanel").property("active")), timeout=3000)
    assert item(w, "appealText").hasActiveFocus()
    assert not bool(item(w, "btnRecord").isVisible())
