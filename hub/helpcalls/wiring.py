"""Plugging help calls into the hub app: roster, notifier, background loop, BIRTH sink, console
page, metrics.

:func:`install` runs from the work-order wiring (help calls live in workorders.db and come
in through its intake). The notice loop starts and stops with the app in
``app.cleanup_ctx``, after the work-order context has opened the database and before it
closes it; shutdown cancels the loop and waits for it, so no task outlives the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from contract.topics import NodeKind, Verb
from hub import keys
from hub.console import helpcalls as console
from hub.helpcalls.metrics import HelpCallsCollector
from hub.helpcalls.notifier import Notifier, Unconfigured, WebhookNotifier
from hub.helpcalls.roster import load_roster
from hub.helpcalls.rosterfile import RosterFile, warn_unknown_areas
from hub.helpcalls.service import HELPCALLS, HelpCalls
from hub.ingest.commands import Publisher
from hub.workorders.service import WorkOrders

log = logging.getLogger(__name__)


def install(app: web.Application, workorders: WorkOrders) -> HelpCalls:
    """Build the desk and wire it in; a broken roster stops the hub with its file:line error."""
    config = app[keys.CONFIG]
    settings = config.helpcalls
    roster_file = RosterFile(settings.roster, app[keys.FLEET])
    roster = load_roster(settings.roster)
    warn_unknown_areas(settings.roster, roster, app[keys.FLEET])
    if settings.roster is None:
        log.warning("no duty roster (helpcalls.roster): kiosks will say nobody is on duty")
    notifier: Notifier = Unconfigured()
    if settings.webhook_url is not None:
        token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
        notifier = WebhookNotifier(str(settings.webhook_url), token, settings.webhook_timeout)
    state, commands = app[keys.STATE], app[keys.COMMANDS]

    def publisher() -> Publisher:
        return commands.publisher

    def online(node: str) -> bool:
        return state.node_online(NodeKind.KIOSK, node)

    desk = HelpCalls(
        settings,
        roster,
        workorders.store,
        workorders.places,
        app[keys.CLOCK],
        publisher,
        online,
        notifier,
        roster_file=roster_file,
    )
    # The intake picks the cadre when a call is stored: always by the roster in effect here.
    workorders.intake.duty = lambda: desk.roster
    app[HELPCALLS] = desk
    # Its own BIRTH sink: statuses a kiosk missed while offline go out again when it is back.
    app[keys.DISPATCHER].add_sink(Verb.BIRTH, desk)
    app.cleanup_ctx.append(_context)
    console.setup(app)
    return desk


async def _context(app: web.Application) -> AsyncIterator[None]:
    desk = app[HELPCALLS]
    store_path = desk.store.path

    def collector() -> HelpCallsCollector:
        return HelpCallsCollector(store_path, desk.places, desk.clock(), desk.escalate_after, desk.counters())

    app[keys.RENDERER].add(collector)
    loop = asyncio.create_task(desk.run(), name="helpcalls-notices")
    try:
        yield
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        if isinstance(desk.notifier, WebhookNotifier):
            await desk.notifier.close()
