"""Wires the inventory, alarms and coverage into the app: listeners, sinks, /metrics, API, tasks.

``install`` runs inside ``create_app`` before the MQTT context is added, so the context it
registers starts first: the last known inventory and the active alarms are restored
before the first message can arrive, and every restored node is asked to rebirth as
soon as the link is up. At shutdown the tasks stop and everything dirty is flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from aiohttp import web

from contract.topics import Verb
from hub import keys
from hub.alarms.collector import AlarmCollector
from hub.alarms.engine import AlarmEngine
from hub.alarms.rules import AlarmRules
from hub.alarms.schema import migrations as alarm_migrations
from hub.api import alarms as alarms_api
from hub.api import coverage as coverage_api
from hub.api import devices as devices_api
from hub.api.registry import Api
from hub.coverage.collector import CoverageCollector, geo_families
from hub.coverage.schema import migrations as coverage_migrations
from hub.coverage.tracker import CoverageTracker
from hub.inventory.recorder import Inventory
from hub.inventory.schema import migrations as inventory_migrations
from hub.metrics.dbtimer import DbCollector, DbTimer
from hub.store import Store

log = logging.getLogger(__name__)

#: How often reorder windows and the restore grace are checked.
TICK_S = 0.25


def install(app: web.Application, api: Api) -> None:
    """Create the parts, hook them to the state and dispatcher, declare their API operations."""
    config, state, clock = app[keys.CONFIG], app[keys.STATE], app[keys.CLOCK]
    dispatcher, renderer, stats = app[keys.DISPATCHER], app[keys.RENDERER], app[keys.STATS]
    stats.silent_after = config.mqtt.silent_after
    data = config.data_dir
    dbs = DbCollector()
    renderer.add(lambda: dbs)

    inventory_db = app[keys.INVENTORY_DB] = DbTimer(
        "inventory", Store(data / "inventory.sqlite", inventory_migrations)
    )
    inventory = app[keys.INVENTORY] = Inventory(inventory_db, state, clock)
    state.listeners.append(inventory.transition)
    dispatcher.add_sink(Verb.BIRTH, inventory)

    alarms_db = app[keys.ALARMS_DB] = DbTimer("alarms", Store(data / "alarms.sqlite", alarm_migrations))
    engine = app[keys.ALARMS] = AlarmEngine(alarms_db, clock)
    rules = AlarmRules(engine, state)
    state.listeners.append(rules.transition)
    dispatcher.add_sink(Verb.ALARM, rules)
    dispatcher.add_sink(Verb.DATA, rules)
    renderer.add(lambda: AlarmCollector(engine))
    dbs.timers += [inventory_db, alarms_db]

    fleet = app[keys.FLEET]
    if fleet is not None:
        coverage_db = app[keys.COVERAGE_DB] = DbTimer(
            "coverage", Store(data / "coverage.sqlite", coverage_migrations)
        )
        tracker = app[keys.COVERAGE] = CoverageTracker(fleet, state, engine, coverage_db, clock)
        geo = geo_families(fleet)
        renderer.add(lambda: CoverageCollector(tracker.latest, *tracker.totals(), geo))
        dbs.timers.append(coverage_db)

    def connected() -> None:
        inventory.rebirth_pending(app[keys.COMMANDS])

    stats.on_connect.append(connected)
    devices_api.register(api)
    alarms_api.register(api)
    coverage_api.register(api)
    app.cleanup_ctx.append(_context)


async def _context(app: web.Application) -> AsyncIterator[None]:
    inventory, engine = app[keys.INVENTORY], app[keys.ALARMS]
    tracker = app.get(keys.COVERAGE)
    timers = [app[keys.INVENTORY_DB], app[keys.ALARMS_DB]]
    if tracker is not None:
        timers.append(app[keys.COVERAGE_DB])
    for timer in timers:
        await timer.store.open()
    await inventory.restore()
    active = await engine.restore()
    if active:
        log.info("alarms: %d active alarms restored", active)
    jobs: list[Coroutine[Any, Any, None]] = [inventory.run(), engine.run(), _tick(app)]
    if tracker is not None:
        await tracker.restore()
        tracker.evaluate_now()
        jobs.append(tracker.run())
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await inventory.flush(touch=True)
        await engine.flush()
        if tracker is not None:
            await tracker.flush()
        for timer in timers:
            await timer.store.close()


async def _tick(app: web.Application) -> None:
    """Expire reorder windows (asking for rebirths) and the restore grace."""
    state, commands, clock = app[keys.STATE], app[keys.COMMANDS], app[keys.CLOCK]
    while True:
        await asyncio.sleep(TICK_S)
        now = clock()
        for kind, node in state.tick(now):
            commands.rebirth(kind, node, now)
