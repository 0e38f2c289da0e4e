"""The application factory: builds the hub's parts and wires them into an aiohttp app.

The MQTT link is the only background work, and it lives in ``app.cleanup_ctx`` so that
it starts with the app and is stopped (STATE offline, disconnect, thread joined) when the
app shuts down. ``with_mqtt=False`` builds the same app without a broker, for tests that
feed the dispatcher directly.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client.process_collector import ProcessCollector

from contract.fleet import load_fleet
from hub import __version__, keys, parts
from hub.api import fleet as fleet_api
from hub.api.auth import TokenAuth
from hub.api.errors import json_errors
from hub.api.registry import Api
from hub.clock import Clock, wall_clock
from hub.config import HubConfig
from hub.ingest.commands import Commands, DiscardPublisher
from hub.ingest.dispatch import Dispatcher
from hub.ingest.handoff import Handoff
from hub.ingest.mqtt import MqttLink
from hub.metrics.exposition import Renderer
from hub.rollouts import wiring as rollouts
from hub.routes import setup_routes
from hub.state import FleetState
from hub.stats import Stats
from hub.workorders import wiring as workorders


def create_app(
    config: HubConfig, *, clock: Clock = wall_clock, with_mqtt: bool = True, freeze_gc: bool = False
) -> web.Application:
    """Build the hub application; nothing connects until the app starts.

    ``freeze_gc``: the hub process's own tuning of the cyclic GC (:func:`tune_gc`, and
    FleetState freezing the fleet's objects as it is born). ``cunlink hub`` turns it on;
    processes that build many apps (tests) leave it off, since frozen objects are never
    collected.
    """
    app = web.Application(middlewares=[json_errors])
    stats = Stats(started=clock())
    stats.mqtt_enabled = with_mqtt
    state = FleetState(
        stats,
        max_series=config.metrics.max_series,
        hub_id=config.hub_id or "",
        reorder_timeout=config.mqtt.reorder_timeout,
        restore_grace=config.mqtt.restore_grace,
        freeze_gc=freeze_gc,
    )
    commands = Commands(DiscardPublisher(), stats, rebirth_min_interval=config.mqtt.rebirth_min_interval)
    app[keys.CONFIG] = config
    # Loaded once at start: a broken fleet file must stop the hub with its error, not later.
    app[keys.FLEET] = load_fleet(config.fleet) if config.fleet is not None else None
    app[keys.CLOCK] = clock
    app[keys.WITH_MQTT] = with_mqtt
    app[keys.STATS] = stats
    app[keys.STATE] = state
    app[keys.COMMANDS] = commands
    app[keys.DISPATCHER] = Dispatcher(state, stats, commands)
    # Work orders, ratings, surveys, content, console and Open311 (hub/workorders/wiring.py).
    workorders_metrics = [c for c in (workorders.install(app),) if c is not None]
    # registry=None: the collector is chained into our own exposition, not a global registry.
    app[keys.RENDERER] = Renderer(extra=(ProcessCollector(registry=None), *workorders_metrics))
    setup_routes(app)
    api = app[keys.API] = Api(version=__version__)
    fleet_api.register(api)
    # Inventory, alarms and coverage: their context starts before the MQTT one (restore first).
    parts.install(app, api)
    workorders.register_api(app, api)
    rollouts.install(app, api)
    # Mount last: every module above has declared its operations by now.
    api.mount(app, TokenAuth((t.name, t.token.get_secret_value(), t.role) for t in config.api.tokens))
    if with_mqtt:
        app.cleanup_ctx.append(_mqtt_context)
    if freeze_gc:
        app.on_startup.append(_tune_gc)  # runs after every cleanup_ctx start-up: restore is done
    return app


async def _mqtt_context(app: web.Application) -> AsyncIterator[None]:
    config, clock, stats = app[keys.CONFIG], app[keys.CLOCK], app[keys.STATS]
    dispatcher = app[keys.DISPATCHER]
    loop = asyncio.get_running_loop()
    handoff = Handoff(loop, dispatcher.handle, limit=config.mqtt.queue_limit)
    link = MqttLink(config, handoff, loop=loop, clock=clock, on_connection=stats.connection)
    app[keys.HANDOFF] = handoff
    app[keys.MQTT] = link
    app[keys.COMMANDS].publisher = link
    dispatcher.on_offline_state = link.reassert_online
    link.start()
    try:
        yield
    finally:
        await link.stop()
        handoff.drain_now()


def tune_gc() -> None:
    """Take what start-up built (imports, config, the restored inventory) out of GC passes.

    They live as long as the process, yet every full pass of the cyclic GC walks them
    with the GIL held, stalling ingest (~70k objects from imports alone). One collection
    first, so start-up's own garbage is not frozen with them. The fleet's objects are
    frozen as it is born (FleetState's ``freeze_gc``). Measured: bench/hub_render.py.
    """
    gc.collect()
    gc.freeze()


async def _tune_gc(app: web.Application) -> None:
    tune_gc()
