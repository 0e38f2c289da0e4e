"""Plugging work orders into the hub app: sinks, background context, routes, API, metrics.

``create_app`` calls :func:`install` once its core parts exist (config, fleet, clock,
dispatcher, state, commands) and :func:`register_api` before mounting the API. Everything
else - the database, the intake task, the watcher that re-publishes retained content when
the MQTT link comes back - starts and stops with the app through ``app.cleanup_ctx``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from contract.topics import NodeKind, Verb
from hub import keys
from hub.api import workorders as workorders_api
from hub.api import workorders_admin
from hub.api.registry import Api
from hub.console import views as console
from hub.helpcalls import wiring as helpcalls
from hub.ingest.commands import Publisher
from hub.open311 import views as open311
from hub.store import Store
from hub.workorders.metrics import WorkOrdersCollector
from hub.workorders.places import Places
from hub.workorders.rules import load_rules
from hub.workorders.schema import migrations
from hub.workorders.service import WorkOrders

log = logging.getLogger(__name__)

#: How often the watcher looks for a new MQTT connection (content is re-published then).
WATCH_INTERVAL = 0.5


def install(app: web.Application) -> WorkOrdersCollector | None:
    """Build the service and wire it in; returns its metrics collector (None when disabled)."""
    config = app[keys.CONFIG]
    settings = config.workorders
    if not settings.enabled:
        return None
    rules = load_rules(settings.rules_path())
    fleet = app[keys.FLEET]
    places = Places(fleet)
    if fleet is not None:
        unknown = sorted(set(rules.unknown_areas(fleet)))
        if unknown:
            # Not fatal: a partial fleet (one county's) is a real set-up; such routes never match.
            log.warning(
                "%s: routes name areas missing from the fleet: %s", settings.rules_path(), ", ".join(unknown)
            )
    else:
        log.warning("no fleet file: work orders cannot check which kiosks, villages and helpers are real")
    state, commands = app[keys.STATE], app[keys.COMMANDS]

    def publisher() -> Publisher:
        return commands.publisher  # the MQTT link once it runs, a discarding stand-in before

    def online(node: str) -> bool:
        return state.node_online(NodeKind.KIOSK, node)

    store = Store(config.data_dir / "workorders.db", migrations)
    service = WorkOrders(settings, rules, places, store, app[keys.CLOCK], publisher, online)
    app[keys.WORKORDERS] = service
    dispatcher = app[keys.DISPATCHER]
    for verb in (Verb.REQ, Verb.BIRTH, Verb.EVENT):
        dispatcher.add_sink(verb, service)
    app.cleanup_ctx.append(_context)
    console.setup(app)
    open311.setup(app)
    # After _context: the help-call loop starts once the database is open, stops before it closes.
    helpcalls.install(app, service)
    return WorkOrdersCollector(
        store.path,
        rules,
        places,
        app[keys.CLOCK],
        service.counters,
    )


def register_api(app: web.Application, api: Api) -> None:
    """Declare the REST operations (only when the service is installed)."""
    if keys.WORKORDERS in app:
        workorders_api.register(api)
        workorders_admin.register(api)


async def _context(app: web.Application) -> AsyncIterator[None]:
    service = app[keys.WORKORDERS]
    await service.start()
    watcher = asyncio.create_task(_watch_connects(app, service), name="workorders-content-watch")
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        await service.stop()


async def _watch_connects(app: web.Application, service: WorkOrders) -> None:
    """Re-publish retained content whenever the MQTT link (re)connects: a broker restarted
    without persistence has forgotten every retained message."""
    stats = app[keys.STATS]
    seen = 0
    while True:
        if stats.mqtt_connected and stats.mqtt_connects != seen:
            seen = stats.mqtt_connects
            try:
                await service.content.republish_all()
            except Exception:
                log.exception("could not re-publish content after reconnecting")
        await asyncio.sleep(WATCH_INTERVAL)
