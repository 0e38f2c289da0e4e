"""Store-and-forward policy: what goes out when, and what an answer does to local state.

The adapter (services.mqtt) only moves bytes; this class decides. Requests leave
the outbox oldest first and are re-sent with the same id every ``retry_s`` until a
Reply says ``stored``/``duplicate``. Usage events wait in their own table until
the broker acknowledges them. While the link is down or the hub's retained STATE
says offline, nothing is sent and everything waits, flagged historical later.

Undo (``undo``): a request that never left the kiosk is deleted, leaving no trace;
one that may have reached the hub is taken back with a ``Withdraw`` request, which
waits in the outbox like any other and is held back until its target is
acknowledged, so the hub never sees a withdrawal before the thing withdrawn.

Media: an appeal's voice note goes as MediaChunk requests queued with it (``submit``'s
``media``). When the hub has acknowledged the last chunk, ``mediaDelivered`` says the
file may go; undo and withdrawal drop the chunks not yet acknowledged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from contract import payloads as p
from contract.topics import Verb
from kiosk.config import TimeoutsSection
from kiosk.services.ids import request_id
from kiosk.services.mqtt import MqttAdapter
from kiosk.services.outbox import Outbox, media_owner
from kiosk.services.receipts import Receipts
from kiosk.services.store import Store, now_ms

log = logging.getLogger("kiosk.sync")

Submittable = p.Appeal | p.Rating | p.Vote | p.HelpCall | p.Withdraw


class Sync(QObject):
    """Owns the outbox replay, the event queue, status pushes and the heartbeat."""

    onlineChanged = Signal()
    depthChanged = Signal()
    acknowledged = Signal(str, str)  # request id, status (stored | duplicate | rejected)
    receiptChanged = Signal(str, str)  # request id, the hub's receipt when it differs from ours
    withdrawn = Signal(str, bool, str)  # target request id, done, the hub's detail when refused
    forgotten = Signal(str)  # a request is gone for good (undone unsent, or withdrawn at the hub)
    queryAnswered = Signal(str, object)  # request id, p.Reply
    receiptStatus = Signal(str, str, str)  # receipt, status, notes
    contentPushed = Signal(str, str, object)  # scope, area code, p.Content
    mediaDelivered = Signal(str)  # request id whose media chunks the hub all acknowledged

    def __init__(
        self,
        store: Store,
        adapter: MqttAdapter | None,
        timeouts: TimeoutsSection,
        metrics: Callable[[], dict[str, float]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.outbox = Outbox(store)
        self.receipts = Receipts(store)
        self.adapter = adapter
        self.timeouts = timeouts
        self.metrics = metrics
        self.link = False
        self.hub_online = True  # until a retained STATE says otherwise
        self.link_since_ms = 0
        self._event_mids: dict[int, int] = {}
        self._queries: set[str] = set()
        self._retry = QTimer(self)
        self._retry.setInterval(int(timeouts.retry_s * 1000))
        self._retry.timeout.connect(self.flush)
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(int(timeouts.heartbeat_s * 1000))
        self._heartbeat.timeout.connect(self.heartbeat)
        if adapter is not None:
            adapter.linkChanged.connect(self._on_link)
            adapter.hubStateChanged.connect(self._on_hub_state)
            adapter.replyReceived.connect(self._on_reply)
            adapter.commandReceived.connect(self._on_command)
            adapter.published.connect(self._on_puback)
            adapter.contentReceived.connect(self._on_content)
        self._retry.start()
        self._heartbeat.start()

    def stop(self) -> None:
        """No more timers (before the store closes)."""
        self._retry.stop()
        self._heartbeat.stop()
        self.link = False

    @property
    def online(self) -> bool:
        """Whether requests can reach the hub right now."""
        return self.link and self.hub_online

    # -- what models call ------------------------------------------------------------

    def submit(
        self,
        body: Submittable,
        assisted_by: str | None,
        rid: str | None = None,
        media: Sequence[p.MediaChunk] = (),
    ) -> str:
        """Durably queue ``body`` and its ``media`` chunks (fsynced before return); send now."""
        rid = self.outbox.add(body, assisted_by=assisted_by, live=self.online, rid=rid, media=media)
        self.depthChanged.emit()
        self.flush()
        return rid

    def undo(self, rid: str, assisted_by: str | None, reason: str = "villager") -> str:
        """Take back our request ``rid``.

        ``deleted``: it had never been sent, so it is gone without a trace. ``withdrawing``:
        it may be at the hub, so a Withdraw is queued (see ``withdrawn`` for the answer).
        """
        if self.outbox.discard_unsent(rid):
            self.outbox.drop_media(rid)
            self.depthChanged.emit()
            self.forgotten.emit(rid)
            return "deleted"
        self.outbox.drop_media(rid)
        self.submit(p.Withdraw(target_id=rid, reason=reason), assisted_by)
        return "withdrawing"

    def query(self, body: p.ReceiptQuery) -> str | None:
        """Ask the hub now (queries are not queued: a stale answer later is worthless)."""
        if self.adapter is None or not self.online:
            return None
        rid = request_id()
        self._queries.add(rid)
        self.adapter.publish(Verb.REQ, p.Request(ts=now_ms(), seq=self.adapter.next_seq(), id=rid, body=body))
        return rid

    def usage_event(self, name: str, attrs: dict[str, str | int | float | bool]) -> None:
        """Queue a usage event (never villager content) and send it when possible."""
        self.store.add_event(name, json.dumps(attrs, ensure_ascii=False))
        self.flush_events()

    # -- sending -----------------------------------------------------------------------

    @Slot()
    def flush(self) -> None:
        """Publish every due request; called on submit, on (re)connect and by the retry timer."""
        if self.adapter is None or not self.online or not self._retry.isActive():
            return
        for item in self.outbox.due(int(self.timeouts.retry_s * 1000)):
            if isinstance(item.body, p.Withdraw) and self.outbox.contains(item.body.target_id):
                continue  # never a withdrawal before the thing withdrawn
            request = p.Request(
                ts=item.created_ms,
                seq=self.adapter.next_seq(),
                id=item.id,
                historical=not item.live or item.attempts > 0,
                assisted_by=item.assisted_by,
                body=item.body,
            )
            self.adapter.publish(Verb.REQ, request)
            self.outbox.attempted(item.id)
        self.flush_events()

    def flush_events(self) -> None:
        """Publish queued usage events not already in flight."""
        if self.adapter is None or not self.online:
            return
        in_flight = set(self._event_mids.values())
        for row in self.store.query("SELECT * FROM events ORDER BY rowid LIMIT 200"):
            if row["rowid"] in in_flight:
                continue
            event = p.Event(
                ts=row["ts_ms"],
                seq=self.adapter.next_seq(),
                historical=row["ts_ms"] < self.link_since_ms,
                event=row["event"],
                attrs=json.loads(row["attrs"]),
            )
            self._event_mids[self.adapter.publish(Verb.EVENT, event)] = row["rowid"]

    @Slot()
    def heartbeat(self) -> None:
        """DATA with the kiosk's own health; silence while offline means 'unchanged'."""
        if self.adapter is None or not self.link:
            return
        samples = [p.Sample(name=k, value=v) for k, v in sorted(self.metrics().items())]
        self.adapter.publish(Verb.DATA, p.Data(ts=now_ms(), seq=self.adapter.next_seq(), metrics=samples))

    # -- what arrives -----------------------------------------------------------------

    @Slot(bool)
    def _on_link(self, up: bool) -> None:
        was = self.online
        self.link = up
        self._event_mids.clear()  # unacknowledged events are re-sent after a reconnect
        if up:
            self.link_since_ms = now_ms()
            self.heartbeat()
        if was != self.online:
            self.onlineChanged.emit()
        # Everything due goes out again with its original id.
        self.store.write("UPDATE outbox SET last_attempt_ms = NULL WHERE state = 'pending'")
        self.flush()

    @Slot(bool)
    def _on_hub_state(self, online: bool) -> None:
        was = self.online
        self.hub_online = online
        if was != self.online:
            self.onlineChanged.emit()
        self.flush()

    @Slot(int)
    def _on_puback(self, mid: int) -> None:
        rowid = self._event_mids.pop(mid, None)
        if rowid is not None:
            self.store.write("DELETE FROM events WHERE rowid = ?", (rowid,))

    @Slot(object)
    def _on_reply(self, reply: p.Reply) -> None:
        if reply.id in self._queries:
            self._queries.discard(reply.id)
            self.queryAnswered.emit(reply.id, reply)
            return
        item = self.outbox.get(reply.id)
        if item is None:
            return  # an answer to something already settled (a replay's second reply)
        if reply.status in ("stored", "duplicate"):
            self.outbox.acknowledge(reply.id)
            if isinstance(item.body, p.Appeal):
                changed = self.receipts.stored(reply.id, reply.receipt)
                if changed:
                    self.receiptChanged.emit(reply.id, changed)
            elif isinstance(item.body, p.Withdraw):
                self.receipts.mark_withdrawn(item.body.target_id)
                self.withdrawn.emit(item.body.target_id, True, "")
                self.forgotten.emit(item.body.target_id)
            elif isinstance(item.body, p.MediaChunk):
                owner = media_owner(reply.id)
                if not self.outbox.media_left(owner):
                    self.mediaDelivered.emit(owner)
            self.depthChanged.emit()
            self.acknowledged.emit(reply.id, reply.status)
        elif reply.status == "rejected":
            log.warning("hub rejected request %s: %s", reply.id, reply.detail)
            self.outbox.reject(reply.id, reply.detail)
            if isinstance(item.body, p.Withdraw):
                self.withdrawn.emit(item.body.target_id, False, reply.detail)
            self.depthChanged.emit()
            self.acknowledged.emit(reply.id, reply.status)

    @Slot(object)
    def _on_command(self, command: p.Command) -> None:
        if command.command == "rebirth" and self.adapter is not None:
            self.adapter.birth()
        elif command.command == "receipt_status":
            receipt = str(command.args.get("receipt", ""))
            status = str(command.args.get("status", ""))
            notes = str(command.args.get("status_notes", ""))
            updated = command.args.get("updated", 0)
            updated_ms = int(updated) if isinstance(updated, int | float) else 0
            if receipt and status and self.receipts.update_status(receipt, status, notes, updated_ms):
                self.receiptStatus.emit(receipt, status, notes)

    @Slot(str, str, object)
    def _on_content(self, scope: str, code: str, content: p.Content) -> None:
        self.contentPushed.emit(scope, code, content)
