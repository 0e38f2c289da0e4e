"""Every typed key of the hub's aiohttp application, in one place.

Handlers and background contexts find their collaborators here instead of in globals,
so a test can build an app, swap a part (the publisher, the clock) and inspect the rest.
"""

from __future__ import annotations

from aiohttp import web

from contract.fleet import Fleet
from hub.alarms.engine import AlarmEngine
from hub.api.registry import Api
from hub.clock import Clock
from hub.config import HubConfig
from hub.coverage.tracker import CoverageTracker
from hub.ingest.commands import Commands
from hub.ingest.dispatch import Dispatcher
from hub.ingest.handoff import Handoff
from hub.ingest.mqtt import MqttLink
from hub.inventory.recorder import Inventory
from hub.metrics.dbtimer import DbTimer
from hub.metrics.exposition import Renderer
from hub.rollouts.orchestrator import Orchestrator
from hub.state import FleetState
from hub.stats import Stats
from hub.workorders.service import WorkOrders

CONFIG = web.AppKey("config", HubConfig)
#: The fleet inventory when the config names one (coverage, routing, maps), else None.
FLEET: web.AppKey[Fleet | None] = web.AppKey("fleet")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
#: Whether create_app wired the MQTT link (False: tests feed the dispatcher directly).
WITH_MQTT = web.AppKey("with_mqtt", bool)
STATS = web.AppKey("stats", Stats)
STATE = web.AppKey("state", FleetState)
COMMANDS = web.AppKey("commands", Commands)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
RENDERER = web.AppKey("renderer", Renderer)
#: Set by the MQTT context while it runs; absent without a broker.
HANDOFF = web.AppKey("handoff", Handoff)
MQTT = web.AppKey("mqtt", MqttLink)
#: Every REST operation; modules declare theirs during create_app, mounted at its end.
API = web.AppKey("api", Api)
#: Inventory, alarms and coverage (hub/parts.py); COVERAGE is absent without a fleet file.
INVENTORY = web.AppKey("inventory", Inventory)
ALARMS = web.AppKey("alarms", AlarmEngine)
COVERAGE = web.AppKey("coverage", CoverageTracker)
INVENTORY_DB = web.AppKey("inventory_db", DbTimer)
ALARMS_DB = web.AppKey("alarms_db", DbTimer)
COVERAGE_DB = web.AppKey("coverage_db", DbTimer)
#: Work orders, ratings, surveys, content (hub/workorders/); absent when disabled in the config.
WORKORDERS = web.AppKey("workorders", WorkOrders)
#: The rollout orchestrator (hub/rollouts/); absent unless rollouts.enabled.
ROLLOUTS = web.AppKey("rollouts", Orchestrator)
