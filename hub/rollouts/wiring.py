"""Wires the orchestrator into the hub: its database, the BIRTH sink, the artifact route, the API.

The artifacts are served at ``/artifacts/<file>`` without a token: devices fetch them, and
trust comes from the Ed25519 signature the device checks, not from the transport
(docs/rollout.md "Signing and keys"). aiohttp's FileResponse answers Range requests, which
the device tool uses to resume a broken download.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from aiohttp import web

from contract.topics import Verb
from hub import keys
from hub.api import rollouts as rollouts_api
from hub.api.registry import Api
from hub.rollouts.orchestrator import Orchestrator
from hub.rollouts.presence import Presence
from hub.rollouts.records import Ledger
from hub.rollouts.schema import migrations
from hub.store import Store

_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}$")


def install(app: web.Application, api: Api) -> None:
    """Create the orchestrator when ``rollouts.enabled``; declare its API and artifact route."""
    config = app[keys.CONFIG]
    settings = config.rollouts
    if not settings.enabled:
        return
    data = config.data_dir
    artifacts = settings.artifacts_dir or data / "artifacts"
    store = Store(data / "rollouts.sqlite", migrations)
    state = app[keys.STATE]
    presence = Presence(restored=lambda: [node for _, node in state.pending_nodes()])
    app[keys.DISPATCHER].add_sink(Verb.BIRTH, presence)
    state.listeners.append(presence.transition)
    orchestrator = Orchestrator(
        config=settings,
        ledger=Ledger(store, app[keys.CLOCK]),
        presence=presence,
        work_dir=data / "rollout-jobs",
        clock=app[keys.CLOCK],
        artifacts_dir=artifacts,
    )
    app[keys.ROLLOUTS] = orchestrator

    async def artifact(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = artifacts / name
        if not _FILE.match(name) or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    app.router.add_get("/artifacts/{name}", artifact)
    rollouts_api.register(api)

    async def context(app: web.Application) -> AsyncIterator[None]:
        del app
        await asyncio.to_thread(artifacts.mkdir, parents=True, exist_ok=True)
        await store.open()
        await orchestrator.start()
        try:
            yield
        finally:
            await orchestrator.stop()
            await store.close()

    app.cleanup_ctx.append(context)
