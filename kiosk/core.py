"""Composition root: builds the store, the adapter, the sync policy and every model, and wires them.

app.py, the tests, the simulator, the screenshots and the bench all build the
kiosk through ``Kiosk`` so they exercise the same wiring. ``online=False`` gives
a kiosk with no network adapter at all (screenshots, offline tests).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from contract import payloads as p
from kiosk import __version__
from kiosk.config import KioskConfig
from kiosk.models.appeal import AppealForm
from kiosk.models.assisted import Assisted
from kiosk.models.catalog import Catalog
from kiosk.models.elder import ElderMode
from kiosk.models.help import Help
from kiosk.models.idle import IdleTimer
from kiosk.models.lookup import Lookup
from kiosk.models.navigation import Navigation
from kiosk.models.rating import Rating
from kiosk.models.reading import Reading
from kiosk.models.receipt import ReceiptView
from kiosk.models.session import Session
from kiosk.models.status_bar import StatusBar
from kiosk.models.surveys import Surveys
from kiosk.models.voice import Voice
from kiosk.models.voice_note import VoiceNote
from kiosk.services.content import ContentStore
from kiosk.services.mqtt import MqttAdapter
from kiosk.services.recorder import QtVoiceRecorder, VoiceRecorder
from kiosk.services.store import Store
from kiosk.services.sync import Sync
from kiosk.services.tts import Speaker, make_speaker
from kiosk.services.voice_files import VoiceFiles


class Kiosk(QObject):
    """Everything a running kiosk is made of, minus the window."""

    def __init__(
        self,
        cfg: KioskConfig,
        *,
        speaker: Speaker | None = None,
        recorder: VoiceRecorder | None = None,
        online: bool = True,
        tick_ms: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.cfg = cfg
        data: Path = cfg.kiosk.data_dir
        data.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self._stopped = False
        self.sessions_total = 0
        self.store = Store(data / "kiosk.db")
        k = cfg.kiosk
        area = {"county": k.county_code, "township": k.township.id, "village": k.village.id}
        self.content = ContentStore(self.store, area)
        self.adapter = (
            MqttAdapter(
                cfg.mqtt,
                k.node_id,
                data / "bdseq",
                {"county": k.county, "township": k.township.id, "village": k.village.id},
                __version__,
                area,
                self,
            )
            if online
            else None
        )
        self.sync = Sync(self.store, self.adapter, cfg.timeouts, self.metrics, self)
        v = cfg.voice
        self.speaker = speaker or make_speaker(v.engine, v.voice, v.prompts_dir, v.player)
        self.elder = ElderMode(cfg.ui.elder_default, self)
        self.voice = Voice(self.speaker, v, self.elder, self)
        self.idle = IdleTimer(cfg.timeouts, self.elder, self.voice, tick_ms, self)
        self.nav = Navigation(self)
        self.session = Session(self.nav, self.elder, self.voice, self.idle, v.auto_read, parent=self)
        self.assisted = Assisted(
            cfg.assist, cfg.timeouts.assisted_s, self.store, self.nav, self.voice, parent=self
        )
        self.receipt = ReceiptView(
            self.sync, self.voice, self.session, self.assisted, cfg.timeouts.undo_s, parent=self
        )
        self.voice_files = VoiceFiles(data, k.node_id)
        self.recorder = recorder or QtVoiceRecorder(self)
        self.note = VoiceNote(self.recorder, self.voice_files, self.voice, self.idle, v.note_max_s, self)
        self.appeal = AppealForm(
            k,
            self.content,
            self.sync,
            self.nav,
            self.session,
            self.voice,
            self.assisted,
            self.receipt,
            self.note,
            self,
        )
        self.lookup = Lookup(self.sync, self.voice, self.session, cfg.timeouts.reply_wait_s, self)
        self.rating = Rating(
            self.sync, self.session, self.voice, self.assisted, k.node_id, cfg.timeouts.undo_s, parent=self
        )
        self.catalog = Catalog(self.content, self.nav, self.session, self.voice, self.elder, self)
        self.surveys = Surveys(
            self.content,
            self.sync,
            self.nav,
            self.session,
            self.voice,
            self.assisted,
            self.elder,
            cfg.timeouts.undo_s,
            parent=self,
        )
        self.reading = Reading(self.content, self.nav, self.session, self.voice, self.elder, self)
        self.help = Help(k.village.id, self.sync, self.session, self.voice, self.assisted, self)
        self.status = StatusBar(k, self.sync, self)
        for model in (
            self.appeal,
            self.receipt,
            self.lookup,
            self.rating,
            self.catalog,
            self.surveys,
            self.reading,
            self.help,
            self.assisted,
        ):
            self.session.on_wipe(model.reset)
        self._reload_pending = False
        self.session.on_wipe(self._reload_content)
        self.assisted.changed.connect(self._assisted_changed)
        self.session.ended.connect(self._session_ended)
        self.sync.contentPushed.connect(self._content_pushed)
        self.sync.forgotten.connect(self.voice_files.discard)
        self.sync.mediaDelivered.connect(self.voice_files.discard)

    def start(self) -> None:
        """Connect to the broker (no-op offline)."""
        if self.adapter is not None:
            self.adapter.start()

    def stop(self) -> None:
        """Clean shutdown: DEATH, disconnect, close the database (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.sync.stop()
        self.idle.disarm()
        self.assisted._expiry.stop()
        if self.adapter is not None:
            self.adapter.stop()
        self.store.close()

    def context(self) -> dict[str, QObject]:
        """The objects QML binds to, by the names the views use."""
        return {
            "theme": self.elder,
            "voice": self.voice,
            "idle": self.idle,
            "nav": self.nav,
            "session": self.session,
            "assisted": self.assisted,
            "appeal": self.appeal,
            "receipt": self.receipt,
            "lookup": self.lookup,
            "rating": self.rating,
            "catalog": self.catalog,
            "surveys": self.surveys,
            "reading": self.reading,
            "help": self.help,
            "status": self.status,
            "voiceNote": self.note,
        }

    def metrics(self) -> dict[str, float]:
        """Self-metrics for the DATA heartbeat (no villager data)."""
        return {
            "kiosk_outbox_depth": float(self.sync.outbox.depth()),
            "kiosk_outbox_oldest_age_seconds": self.sync.outbox.oldest_age_s(),
            "kiosk_outbox_rejected": float(self.sync.outbox.rejected()),
            "kiosk_sessions_total": float(self.sessions_total),
            "kiosk_session_active": float(self.session.is_active),
            "kiosk_uptime_seconds": round(time.monotonic() - self.started, 1),
            "kiosk_voice_notes_pending": float(len(self.voice_files.pending())),
        }

    def _assisted_changed(self) -> None:
        if self.assisted.staff_id is not None:
            self.session.begin()
            self.session.assisted_used = True

    def _session_ended(self, attrs: dict[str, Any]) -> None:
        self.sessions_total += 1
        self.sync.usage_event("session_end", attrs)

    def _content_pushed(self, scope: str, code: str, content: p.Content) -> None:
        if self.content.offer(scope, code, content):
            # Never swap content under a villager's finger: reload now only between sessions.
            self._reload_pending = True
            if not self.session.is_active:
                self._reload_content()

    def _reload_content(self) -> None:
        if not self._reload_pending:
            return
        self._reload_pending = False
        self.catalog.reload()
        self.surveys.reload()
        self.reading.reload()
