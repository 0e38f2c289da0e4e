"""The running work-order service: kiosk requests in, replies and status pushes out.

The dispatcher hands every accepted REQ, kiosk BIRTH and EVENT to :meth:`WorkOrders.accept`
on the event loop; that only queues. One task drains the queue in batches: a batch of
requests is one write transaction (one fsync with ``synchronous=FULL``), and only after it
returned are the replies published - the hub never says "stored" for something a power
cut could still take away. Status pushes (CMD ``receipt_status``) go to kiosks that are
online now; the rest wait in ``pushes`` and go out after the kiosk's next BIRTH.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from contract import codec
from contract import payloads as p
from contract.topics import NodeKind, Topic, Verb, node_topic
from hub.content.publish import ContentService
from hub.ingest.commands import Publisher
from hub.store import Store, StoreError
from hub.workorders import orders
from hub.workorders.calendar import WorkCalendar
from hub.workorders.flow import Action, Role
from hub.workorders.intake import Intake
from hub.workorders.orders import Ctx, Filed, NewAppeal, Push
from hub.workorders.places import Places
from hub.workorders.rules import Rules
from hub.workorders.settings import WorkOrdersConfig

log = logging.getLogger(__name__)

#: Beyond this many queued messages new ones are dropped (and counted); kiosks re-send
#: unanswered requests, so a drop delays an appeal but never loses it.
QUEUE_LIMIT = 50_000
BATCH = 500
#: At shutdown, how long to wait for queued requests to be stored and answered.
STOP_WAIT = 10.0


@dataclass(frozen=True, slots=True)
class _Item:
    topic: Topic
    message: p.Message
    received: float


class WorkOrders:
    """Owns workorders.db, the intake queue, content publishing and status pushes."""

    def __init__(  # noqa: PLR0917 - wired once by hub.workorders.setup
        self,
        settings: WorkOrdersConfig,
        rules: Rules,
        places: Places,
        store: Store,
        clock: Callable[[], float],
        publisher: Callable[[], Publisher],
        node_online: Callable[[str], bool],
    ) -> None:
        self.settings = settings
        self.ctx = Ctx(rules, WorkCalendar(rules.calendar))
        self.places = places
        self.store = store
        self.clock = clock
        self._publisher = publisher
        self._node_online = node_online
        self.intake = Intake(self.ctx, places)
        self.content = ContentService(store, clock, publisher, places, self.ctx.calendar.tz)
        self.requests: Counter[tuple[str, str]] = Counter()
        """(kind, result) of every request handled; result is stored/duplicate/result or a reject reason."""
        self.dropped = 0
        self.pushes_sent = 0
        # The render thread copies the counters while the loop updates them.
        self._counter_lock = threading.Lock()
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def rules(self) -> Rules:
        """The rules in effect."""
        return self.ctx.rules

    @property
    def calendar(self) -> WorkCalendar:
        """Working days."""
        return self.ctx.calendar

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the database, publish the categories from the rules, start draining."""
        await self.store.open()
        categories = {"items": [{"id": c.id, "name": c.name} for c in self.rules.categories]}
        await self.content.put_if_changed("categories", "all", None, categories, "rules")
        self._task = asyncio.create_task(self._run(), name="workorders-intake")

    async def stop(self) -> None:
        """Finish what is queued, stop, close the database."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drained(), STOP_WAIT)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.store.close()

    async def drained(self) -> None:
        """Wait until everything queued so far has been handled (tests, shutdown)."""
        await self._queue.join()

    # -- the sink (event loop; must not block) ----------------------------------------------

    def accept(self, topic: Topic, message: p.Message, received: float) -> None:
        """Queue a REQ, a kiosk BIRTH or an EVENT."""
        if self._queue.qsize() >= QUEUE_LIMIT:
            self.dropped += 1
            return
        self._queue.put_nowait(_Item(topic, message, received))

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._handle(batch)
            except StoreError:
                # Nothing was committed and nothing answered: kiosks re-send, we try again then.
                log.exception("work-order batch of %d messages not stored", len(batch))
            except Exception:
                log.exception("work-order batch of %d messages failed", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _handle(self, batch: list[_Item]) -> None:
        # Keep arrival order around BIRTHs: a push re-sent after a BIRTH must not overtake
        # (or repeat) what the requests before it changed.
        requests: list[_Item] = []
        events: list[_Item] = []
        for item in [*batch, None]:
            birth = item is not None and isinstance(item.message, p.NodeBirth)
            if item is None or birth:
                if requests:
                    await self._requests(requests)
                if events:
                    await self._events(events)
                requests, events = [], []
            if item is None:
                break
            if birth:
                if item.topic.kind is NodeKind.KIOSK:
                    await self._birth(item.topic.node)
            elif isinstance(item.message, p.Request):
                requests.append(item)
            elif isinstance(item.message, p.Event):
                events.append(item)

    async def _requests(self, items: list[_Item]) -> None:
        now = self.clock()

        def work(db: sqlite_utils.Database) -> list[Any]:
            out = []
            for item in items:
                assert isinstance(item.message, p.Request)
                out.append(self.intake.handle(db, item.topic.kind, item.topic.node, item.message, now))
            return out

        outcomes = await self.store.write(work)
        publisher = self._publisher()
        pushes: list[Push] = []
        for item, outcome in zip(items, outcomes, strict=True):
            with self._counter_lock:
                self.requests[(outcome.kind, outcome.result)] += 1
            topic = node_topic(item.topic.kind, item.topic.node, Verb.REPLY)
            publisher.publish(topic, codec.encode(outcome.reply), qos=1)
            pushes += outcome.pushes
        await self.push(pushes)

    async def _events(self, items: list[_Item]) -> None:
        rows = []
        for item in items:
            event = item.message
            assert isinstance(event, p.Event)
            place = self.places.kiosk(item.topic.node) if item.topic.kind is NodeKind.KIOSK else None
            if event.event != "session_end" or place is None:
                continue
            attrs = event.attrs
            rows.append(
                (
                    item.topic.node,
                    event.ts,
                    event.event,
                    place.village,
                    place.township,
                    place.county,
                    float(attrs.get("duration_s", 0) or 0),
                    int(attrs.get("services", 0) or 0),
                    int(bool(attrs.get("assisted", False))),
                    int(bool(attrs.get("elder_mode", False))),
                    item.received,
                )
            )
        if rows:
            # (node, ts, event) is the key: a QoS 1 redelivery of the same session is ignored.
            await self.store.write(
                lambda db: db.conn.executemany(
                    "INSERT OR IGNORE INTO usage (node, ts, event, village, township, county, duration_s,"
                    " services, assisted, elder, received) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
            )

    async def _birth(self, node: str) -> None:
        since = self.clock() - self.settings.repush_hours * 3600
        pending = await self.store.read(lambda db: orders.pending_pushes(db, node, since))
        await self.push(pending, force=True)

    def counters(self) -> dict[str, object]:
        """A consistent copy of the in-memory counters (any thread)."""
        with self._counter_lock:
            return {"requests": dict(self.requests), "dropped": self.dropped, "pushes": self.pushes_sent}

    # -- status pushes ----------------------------------------------------------------------

    async def push(self, pushes: list[Push], *, force: bool = False) -> int:
        """Send receipt_status to kiosks that are online (all of them when ``force``); record it."""
        sent = [x for x in pushes if force or self._node_online(x.node)]
        if not sent:
            return 0
        publisher = self._publisher()
        for x in sent:
            command = p.Command(
                ts=int(self.clock() * 1000),
                command="receipt_status",
                args={
                    "receipt": x.receipt,
                    "status": x.status,
                    "status_notes": x.notes,
                    "updated": int(x.updated * 1000),
                },
            )
            publisher.publish(node_topic(NodeKind.KIOSK, x.node, Verb.CMD), codec.encode(command), qos=1)
        self.pushes_sent += len(sent)
        now = self.clock()
        await self.store.write(lambda db: orders.mark_sent(db, sent, now))
        return len(sent)

    # -- what the console, the API and Open311 call ------------------------------------------

    async def act(  # noqa: PLR0917
        self,
        code: str,
        action: Action,
        role: Role,
        actor: str,
        note: str = "",
        department: str | None = None,
        own_department: str | None = None,
    ) -> dict[str, Any]:
        """Apply a flow action (FlowError/Reject when not allowed) and push the new status."""
        now = self.clock()
        order, pushes = await self.store.write(
            lambda db: orders.act(
                db,
                self.ctx,
                code,
                action,
                role,
                actor,
                now,
                note=note,
                department=department,
                own_department=own_department,
            )
        )
        await self.push(pushes)
        return order

    async def file(self, appeal: NewAppeal) -> Filed:
        """File an appeal from a channel other than a kiosk (Open311, API)."""
        now = self.clock()
        filed = await self.store.write(lambda db: orders.file_appeal(db, self.ctx, appeal, now))
        await self.push(filed.pushes)
        return filed
