"""Devices, nodes and their state transitions over the API; admins may also rebirth or forget a node."""

from __future__ import annotations

import msgspec
from aiohttp import web

from contract.topics import NodeKind
from hub import keys
from hub.api.errors import ApiError
from hub.api.handlers import found
from hub.api.params import LIMIT, OFFSET, choice, integer, page, text
from hub.api.registry import Api, Query, Role
from hub.inventory import queries
from hub.routes import take_snapshot
from hub.snapshot import STATES, DeviceView, NodeView, Snapshot

_STATE = Query("state", "online, offline or unknown (restored after a restart, not re-born yet).")


class DeviceOut(msgspec.Struct, kw_only=True):
    """A device behind an edge agent."""

    id: str
    kind: str
    node: str
    state: str
    labels: dict[str, str]
    series: int
    first_seen: float
    last_seen: float
    born: float | None
    died: float | None
    death_reason: str | None


class DeviceList(msgspec.Struct, kw_only=True):
    total: int
    items: list[DeviceOut]


class Transition(msgspec.Struct, kw_only=True):
    """One change of state (times are seconds since the epoch)."""

    ts: float
    entity: str
    id: str
    kind: str
    node: str
    state: str
    previous: str
    reason: str


class Location(msgspec.Struct, kw_only=True):
    site: str
    township: str
    village: str | None
    lat: float
    lon: float


class DeviceDetail(msgspec.Struct, kw_only=True):
    device: DeviceOut
    location: Location | None
    alarms: list[str]
    transitions: list[Transition]


class NodeOut(msgspec.Struct, kw_only=True):
    """An edge agent or kiosk."""

    kind: str
    id: str
    state: str
    version: str
    bd_seq: int
    labels: dict[str, str]
    devices: int
    seq_gaps: int
    first_seen: float
    last_seen: float
    born: float | None
    died: float | None


class NodeList(msgspec.Struct, kw_only=True):
    total: int
    items: list[NodeOut]


class Version(msgspec.Struct, kw_only=True):
    version: str
    first_seen: float
    last_seen: float | None


class NodeDetail(msgspec.Struct, kw_only=True):
    node: NodeOut
    device_ids: list[str]
    versions: list[Version]
    transitions: list[Transition]


class TransitionList(msgspec.Struct, kw_only=True):
    items: list[Transition]


class Done(msgspec.Struct, kw_only=True):
    """The outcome of an admin action."""

    ok: bool
    detail: str


def _device(d: DeviceView) -> DeviceOut:
    return DeviceOut(
        id=d.id,
        kind=d.kind,
        node=d.node,
        state=d.state,
        labels=dict(d.labels),
        series=len(d.values),
        first_seen=d.first_seen,
        last_seen=d.last_seen,
        born=d.born or None,
        died=d.died,
        death_reason=d.death_reason,
    )


def _node(n: NodeView) -> NodeOut:
    return NodeOut(
        kind=n.kind.value,
        id=n.id,
        state=n.state,
        version=n.version,
        bd_seq=n.bd_seq,
        labels=dict(n.labels),
        devices=n.devices,
        seq_gaps=n.seq_gaps,
        first_seen=n.first_seen,
        last_seen=n.last_seen,
        born=n.born or None,
        died=n.died,
    )


def _find_node(request: web.Request) -> tuple[Snapshot, NodeView]:
    """The snapshot and the node at ``/nodes/{kind}/{node}`` in it (404 when there is none)."""
    kind, ident = request.match_info["kind"], request.match_info["node"]
    snap = take_snapshot(request.app)
    node = next((n for n in snap.nodes if n.kind.value == kind and n.id == ident), None)
    return snap, found(node, f"no {kind} node {ident!r}")


async def _transitions(
    app: web.Application, entity: str | None, ident: str | None, since: float | None = None, limit: int = 50
) -> list[Transition]:
    """Transitions newest first, read after a flush so that they include the last second."""
    await app[keys.INVENTORY].flush()
    rows = await app[keys.INVENTORY_DB].read(queries.transitions(entity, ident, since, limit))
    return [Transition(**row) for row in rows]


def register(api: Api) -> None:
    """Declare the device and node operations."""

    @api.route(
        "GET",
        "/api/v1/devices",
        summary="Devices, filtered by kind, state, node or place",
        response=DeviceList,
        query=(
            Query("kind", "gnb, olt_uplink, ups..."),
            _STATE,
            Query("node", "Owning edge agent."),
            Query("county", "County name (BIRTH label)."),
            Query("township", "Township (BIRTH label)."),
            LIMIT,
            OFFSET,
        ),
        tags=("devices",),
    )
    async def list_devices(request: web.Request) -> DeviceList:
        limit, offset = page(request)
        state = choice(request, "state", STATES)
        kind, node = text(request, "kind"), text(request, "node")
        county, township = text(request, "county"), text(request, "township")
        snap = take_snapshot(request.app)
        labels = snap.node_labels()
        chosen = []
        for d in snap.devices:
            if (kind and d.kind != kind) or (state and d.state != state) or (node and d.node != node):
                continue
            place = d.place(labels.get((d.node_kind, d.node), {}))
            if (county and place[0] != county) or (township and place[1] != township):
                continue
            chosen.append(d)
        chosen.sort(key=lambda d: d.id)
        return DeviceList(total=len(chosen), items=[_device(d) for d in chosen[offset : offset + limit]])

    @api.route(
        "GET",
        "/api/v1/devices/{device}",
        summary="One device: state, place, active alarms, recent transitions",
        response=DeviceDetail,
        tags=("devices",),
    )
    async def get_device(request: web.Request) -> DeviceDetail:
        ident = request.match_info["device"]
        app = request.app
        device = found(
            next((d for d in take_snapshot(app).devices if d.id == ident), None), f"no device {ident!r}"
        )
        location = None
        fleet = app[keys.FLEET]
        if fleet is not None and ident in fleet.index.devices:
            site = fleet.index.site_of(ident)
            location = Location(
                site=site.id, township=site.township, village=site.village, lat=site.lat, lon=site.lon
            )
        history = await _transitions(app, "device", ident)
        return DeviceDetail(
            device=_device(device),
            location=location,
            alarms=sorted(
                a.alarm + (f"[{a.resource}]" if a.resource else "")
                for a in app[keys.ALARMS].active_for(ident)
            ),
            transitions=history,
        )

    @api.route(
        "GET",
        "/api/v1/nodes",
        summary="Edge agents and kiosks",
        response=NodeList,
        query=(Query("kind", "agent or kiosk."), _STATE, LIMIT, OFFSET),
        tags=("nodes",),
    )
    async def list_nodes(request: web.Request) -> NodeList:
        limit, offset = page(request)
        kind = choice(request, "kind", [k.value for k in NodeKind])
        state = choice(request, "state", STATES)
        nodes = sorted(
            (
                n
                for n in take_snapshot(request.app).nodes
                if (not kind or n.kind.value == kind) and (not state or n.state == state)
            ),
            key=lambda n: (n.kind.value, n.id),
        )
        return NodeList(total=len(nodes), items=[_node(n) for n in nodes[offset : offset + limit]])

    @api.route(
        "GET",
        "/api/v1/nodes/{kind}/{node}",
        summary="One node: state, devices, software versions, transitions",
        response=NodeDetail,
        tags=("nodes",),
    )
    async def get_node(request: web.Request) -> NodeDetail:
        snap, node = _find_node(request)
        app = request.app
        history = await _transitions(app, "node", node.id)  # flushes: versions are current too
        versions = await app[keys.INVENTORY_DB].read(queries.versions(node.kind.value, node.id))
        owned = sorted(d.id for d in snap.devices if d.node == node.id and d.node_kind is node.kind)
        return NodeDetail(
            node=_node(node),
            device_ids=owned,
            versions=[Version(**v) for v in versions],
            transitions=history,
        )

    @api.route(
        "POST",
        "/api/v1/nodes/{kind}/{node}/rebirth",
        summary="Ask a node to re-send its BIRTHs now",
        role=Role.ADMIN,
        response=Done,
        tags=("nodes",),
    )
    async def rebirth_node(request: web.Request) -> Done:
        _, node = _find_node(request)
        app = request.app
        sent = app[keys.COMMANDS].rebirth(node.kind, node.id, app[keys.CLOCK]())
        return Done(
            ok=sent, detail="sent" if sent else "asked recently; try again after mqtt.rebirth_min_interval"
        )

    @api.route(
        "DELETE",
        "/api/v1/nodes/{kind}/{node}",
        summary="Forget a decommissioned node and its devices",
        role=Role.ADMIN,
        response=Done,
        tags=("nodes",),
    )
    async def forget_node(request: web.Request) -> Done:
        _, node = _find_node(request)
        kind, ident = node.kind.value, node.id
        app = request.app
        if node.online:
            raise ApiError(409, f"{kind} {ident!r} is online; only an offline node can be forgotten")
        app[keys.STATE].forget_node(node.kind, ident, app[keys.CLOCK]())
        await app[keys.INVENTORY].flush()
        return Done(ok=True, detail=f"{kind} {ident} and its devices were removed from the inventory")

    @api.route(
        "GET",
        "/api/v1/transitions",
        summary="State transitions, newest first",
        response=TransitionList,
        query=(
            Query("entity", "node or device."),
            Query("id", "A node or device id."),
            Query("since", "Only transitions at or after this time (epoch seconds).", type="integer"),
            LIMIT,
        ),
        tags=("devices", "nodes"),
    )
    async def list_transitions(request: web.Request) -> TransitionList:
        entity = choice(request, "entity", ("node", "device"))
        since = integer(request, "since", -1, -1, 2**40)
        limit = integer(request, "limit", 500, 1, 5000)
        return TransitionList(
            items=await _transitions(
                request.app, entity, text(request, "id"), None if since < 0 else float(since), limit
            )
        )
