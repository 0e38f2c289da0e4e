"""A voice note reaches the hub: MediaChunk requests queued with the appeal, replayed until
acknowledged, and the file deleted only then (real Mosquitto, hub stand-in)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from pytestqt.qtbot import QtBot

from contract import payloads as p
from kiosk.core import Kiosk
from kiosk.services.recorder import ScriptedRecorder
from tests.kiosk.conftest import KioskFactory
from tests.kiosk.hubstub import HubStub
from tests.support.services import Mosquitto

pytestmark = pytest.mark.mosquitto

#: Two full chunks and a short third one; not all bytes alike, so order matters.
AUDIO = bytes(range(256)) * ((2 * p.MEDIA_CHUNK_BYTES + 1000) // 256)


class LongRecorder(ScriptedRecorder):
    PLACEHOLDER = AUDIO


def file_voice_appeal(k: Kiosk) -> None:
    k.nav.go("appeal")
    k.appeal.chooseCategory("water")
    k.appeal.chooseVillage("bz-t01-v01")
    k.appeal.useVoice()
    k.note.record()
    assert isinstance(k.recorder, ScriptedRecorder)
    k.recorder.tick(20_000)
    k.note.stop()
    k.appeal.voiceNext()
    k.appeal.skipPhone()
    k.appeal.submit()


def test_the_note_goes_in_chunks_replayed_until_acknowledged_then_the_file_goes(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, qtbot: QtBot
) -> None:
    silent = HubStub(mosquitto.host, mosquitto.port, answering=False)
    try:
        k = make_kiosk(broker=(mosquitto.host, mosquitto.port), retry_s=0.2, recorder=LongRecorder())
        qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
        file_voice_appeal(k)
        [kept] = k.voice_files.pending()
        rid = kept.stem
        chunk_ids = [f"{rid}.m{i}" for i in range(3)]
        # Nothing acknowledged: the appeal and all three chunks go out again and again.
        qtbot.waitUntil(lambda: all(silent.ids().count(i) >= 2 for i in [rid, *chunk_ids]), timeout=10000)
        assert silent.ids().index(rid) < silent.ids().index(chunk_ids[0]), "the appeal goes first"
        first = {r.id: r.body for _, r in silent.requests if r.id in chunk_ids}
        bodies = [first[i] for i in chunk_ids]
        assert all(isinstance(b, p.MediaChunk) for b in bodies)
        chunks = [b for b in bodies if isinstance(b, p.MediaChunk)]
        assert [c.chunk for c in chunks] == [0, 1, 2]
        assert {(c.ref, c.media, c.mime, c.size, c.chunks) for c in chunks} == {
            (f"kiosk://kiosk-bz-0001/voice/{rid}.m4a", "voice", "audio/mp4", len(AUDIO), 3)
        }
        whole = b"".join(base64.b64decode(c.data) for c in chunks)
        assert whole == AUDIO
        assert chunks[0].sha256 == hashlib.sha256(AUDIO).hexdigest()
        assert kept.exists(), "the file stays until the hub has every chunk"
        assert k.sync.outbox.depth() == 1, "villagers see one submission waiting"
        assert k.sync.outbox.media_depth() == 3

        silent.answering = True
        qtbot.waitUntil(lambda: k.sync.outbox.media_depth() == 0, timeout=10000)
        assert k.sync.outbox.depth() == 0
        qtbot.waitUntil(lambda: not kept.exists(), timeout=5000)
        assert k.voice_files.pending() == []
        assert k.metrics()["kiosk_voice_notes_pending"] == 0
    finally:
        silent.stop()


def test_undo_after_upload_drops_the_chunks_still_waiting(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, qtbot: QtBot
) -> None:
    hub = HubStub(mosquitto.host, mosquitto.port)
    try:
        k = make_kiosk(broker=(mosquitto.host, mosquitto.port), retry_s=0.2, recorder=LongRecorder())
        qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
        hub.answering = False
        file_voice_appeal(k)
        [kept] = k.voice_files.pending()
        rid = kept.stem
        qtbot.waitUntil(lambda: f"{rid}.m2" in hub.ids(), timeout=5000)
        hub.answering = True
        # The appeal was sent, so undo withdraws it; its unacknowledged chunks are dropped.
        assert k.sync.undo(rid, None) == "withdrawing"
        assert not any(i.id.startswith(f"{rid}.m") for i in k.sync.outbox.due(0))
        qtbot.waitUntil(lambda: rid in hub.withdrawn, timeout=10000)
        qtbot.waitUntil(lambda: not kept.exists(), timeout=5000)
    finally:
        hub.stop()
