"""The running help-call desk: deliver notices, escalate, tell kiosks, answer the console.

One background task (started and awaited by the app's cleanup context) runs :meth:`step`
every second: it re-reads the roster if its file changed, escalates overdue calls, then
delivers the notices that are due, those of one round concurrently in a TaskGroup. A
failed delivery stays in ``helpcall_notices`` with its next try backed off
exponentially, so a webhook outage (or a hub restart) delays a notice but never drops
it. Kiosks hear about progress through CMD ``help_status``: at once when online, and
again after their next BIRTH (the latest status of each open call of the last
``status_resend_minutes``), because a kiosk that lost its uplink for a minute still
has the villager standing in front of it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlite_utils
from aiohttp import web

from contract import codec
from contract import payloads as p
from contract.topics import NodeKind, Topic, Verb, node_topic
from hub.helpcalls import desk
from hub.helpcalls.notifier import Notifier, NotifyError
from hub.helpcalls.roster import Roster
from hub.helpcalls.rosterfile import RosterFile
from hub.helpcalls.settings import HelpCallsConfig
from hub.ingest.commands import Publisher
from hub.store import Store
from hub.workorders.places import Places

log = logging.getLogger(__name__)

#: Seconds between two rounds of escalation and delivery.
TICK = 1.0


class HelpCalls:
    """Owns the notice loop; the console and tests call :meth:`act` and :meth:`step`."""

    def __init__(  # noqa: PLR0917 - wired once by hub.helpcalls.wiring
        self,
        settings: HelpCallsConfig,
        roster: Roster,
        store: Store,
        places: Places,
        clock: Callable[[], float],
        publisher: Callable[[], Publisher],
        node_online: Callable[[str], bool],
        notifier: Notifier,
        *,
        roster_file: RosterFile | None = None,
    ) -> None:
        self.settings = settings
        self.roster = roster
        self.roster_file = roster_file or RosterFile(None, None)
        self._reborn: set[str] = set()
        """Kiosks that sent a BIRTH since the last round: their statuses are sent again."""
        self.store = store
        self.places = places
        self.clock = clock
        self.notifier = notifier
        self._publisher = publisher
        self._node_online = node_online
        self._step_lock = asyncio.Lock()
        # The render thread copies the counters while the loop updates them.
        self._counter_lock = threading.Lock()
        self.errors: Counter[str] = Counter()
        self.sent = 0

    @property
    def escalate_after(self) -> float:
        """Seconds an open call may wait for a console acknowledgement."""
        return self.settings.escalate_after_minutes * 60

    def counters(self) -> dict[str, Any]:
        """A consistent copy of the delivery and roster counters (any thread)."""
        with self._counter_lock:
            return {
                "errors": dict(self.errors),
                "sent": self.sent,
                "roster_errors": self.roster_file.errors,
                "roster_ok": self.roster_file.ok,
            }

    def accept(self, topic: Topic, message: p.Message, received: float) -> None:
        """BIRTH sink (event loop): remember the kiosk, the next round re-sends its statuses."""
        del received
        if topic.kind is NodeKind.KIOSK and isinstance(message, p.NodeBirth):
            self._reborn.add(topic.node)

    async def run(self) -> None:
        """Step forever (cancelled at shutdown)."""
        while True:
            try:
                await self.step()
            except Exception:
                log.exception("help-call round failed; trying again")
            await asyncio.sleep(TICK)

    async def step(self) -> None:
        """One round: reload a changed roster, re-send statuses to reborn kiosks, escalate
        overdue calls, deliver due notices."""
        async with self._step_lock:
            await self._reload_roster()
            await self._resend()
            now = self.clock()
            after = self.escalate_after
            # Read first: an idle round must not cost a write transaction (an fsync) every second.
            if await self.store.read(lambda db: desk.escalation_due(db, now, after)):
                await self.store.write(lambda db: desk.escalate(db, self.roster, now, after))
            due = await self.store.read(lambda db: desk.due_notices(db, now))
            if due:
                async with asyncio.TaskGroup() as group:
                    for notice in due:
                        group.create_task(self._deliver(notice))

    async def _reload_roster(self) -> None:
        if not self.roster_file.changed():  # one stat a second; the read is off the loop
            return
        roster = await asyncio.to_thread(self.roster_file.load)
        if roster is not None:
            self.roster = roster  # the intake reads it from here too (wiring.py)

    async def _resend(self) -> None:
        """Each reborn kiosk gets the latest status of its recent open calls again.

        The kiosk ignores a status it already shows or one behind it, so re-sending what
        it may have heard is harmless.
        """
        nodes, self._reborn = self._reborn, set()
        since = self.clock() - self.settings.status_resend_minutes * 60
        for node in sorted(nodes):

            def latest(db: sqlite_utils.Database, node: str = node) -> list[tuple[str, str, str]]:
                return desk.kiosk_statuses(db, node, since)

            statuses = await self.store.read(latest)
            for rid, status, name in statuses:
                self._publish_status(node, rid, status, name)
            if statuses:
                log.info("re-sent %d help-call statuses to %s after its BIRTH", len(statuses), node)

    async def _deliver(self, notice: desk.Notice) -> None:
        try:
            await self.notifier.send(f"cunlink-helpcall-notice-{notice.id}", self.message(notice))
        except NotifyError as exc:
            reason = exc.reason
            delay = min(
                self.settings.retry_max_delay, self.settings.retry_min_delay * 2 ** min(notice.attempts, 30)
            )
            retry = self.clock() + delay
            with self._counter_lock:
                self.errors[reason] += 1
            log.warning(
                "help-call notice %d to %s not delivered (%s): %s", notice.id, notice.name, reason, exc
            )
            await self.store.write(lambda db: desk.failed(db, notice, reason, retry))
            return
        now = self.clock()
        first = await self.store.write(lambda db: desk.delivered(db, notice, now))
        with self._counter_lock:
            self.sent += 1
        if first:
            self.tell_kiosk(notice.call, "notified", notice.name)

    def message(self, notice: desk.Notice) -> dict[str, Any]:
        """The JSON a webhook receives: structured fields and a ready SMS text."""
        call = notice.call
        place = self.places.village(call["village"])
        names = (
            (place.county_name, place.township_name, place.village_name)
            if place is not None
            else ("", "", "")
        )
        at = datetime.fromtimestamp(call["received"], self.roster.tz)
        where = names[2] or call["village"]
        text = f"【村联求助】{where}服务站有村民一键求助（{at:%H:%M}），请尽快到场，并在工单处理台点“确认”。"
        if notice.reason == "escalation":
            minutes = f"{self.settings.escalate_after_minutes:g}"
            text = (
                f"【村联求助·超时】{where}服务站的求助（{at:%H:%M}）{minutes}分钟内无人确认，请安排人员到场。"
            )
        return {
            "kind": "helpcall",
            "notice": notice.id,
            "reason": notice.reason,
            "call": notice.call_id,
            "to": {"name": notice.name, "phone": notice.phone, "level": notice.level},
            "kiosk": call["node"],
            "village": {"code": call["village"], "name": names[2]},
            "township": {"code": call["township"], "name": names[1]},
            "county": {"code": call["county"], "name": names[0]},
            "at": at.isoformat(),
            "text": text,
        }

    async def act(
        self, call_id: int, action: str, actor: str, note: str = "", coming: str = ""
    ) -> dict[str, Any]:
        """A console action (Reject when not allowed); tells the kiosk when it matters.

        ``coming`` is who goes to the villager (default: the one named at 确认, else the
        cadre notified); the kiosk says that name, so it must be whoever really comes.
        """
        now = self.clock()
        coming = coming.strip()[:32] or ""
        text = f"{coming}前往。{note}" if coming else note
        call = await self.store.write(lambda db: desk.move(db, call_id, action, actor, text, now, coming))
        if action in {"acknowledge", "arrive"}:
            self.tell_kiosk(call, call["state"], call["kiosk_name"])
        return call

    def tell_kiosk(self, call: dict[str, Any], status: str, name: str) -> bool:
        """CMD help_status to the calling kiosk if it is online; True if sent."""
        node, rid = call.get("node"), call.get("client_id")
        if not node or not rid or not self._node_online(node):
            return False  # desk.kiosk_status kept it: it goes out after the kiosk's next BIRTH
        self._publish_status(node, rid, status, name)
        return True

    def _publish_status(self, node: str, rid: str, status: str, name: str) -> None:
        command = p.Command(
            ts=int(self.clock() * 1000),
            command="help_status",
            args={"id": rid, "status": status, "name": name},
        )
        self._publisher().publish(node_topic(NodeKind.KIOSK, node, Verb.CMD), codec.encode(command), qos=1)


HELPCALLS = web.AppKey("helpcalls", HelpCalls)
