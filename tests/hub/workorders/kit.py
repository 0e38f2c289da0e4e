"""A hub with work orders, fed by hand: a small Bazhong fleet, a manual clock, recorded publishes.

Shared by the work-order, Open311, console and content tests. The app is the real one
(``create_app`` with ``with_mqtt=False``), started through aiohttp's test server so that
its cleanup contexts run; requests go in through the real dispatcher, and what the hub
publishes is recorded instead of sent.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contract import codec
from contract import payloads as p
from contract.fleet import County, Fleet, Kiosk, Site, Township, Village, dump_fleet
from contract.session import SeqCounter
from contract.topics import NodeKind, Verb, node_topic
from hub import keys
from hub.app import create_app
from hub.clock import ManualClock
from hub.config import HubConfig
from hub.ingest.handoff import Raw
from hub.workorders.service import WorkOrders

ADMIN_TOKEN = "admin-token-workorders"
READ_TOKEN = "read-token-workorders"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
OPEN311_KEY = "open311-key-for-tests-0123456789"
#: 2026-03-02 09:00 China time, a Monday.
MONDAY_9AM = 1772413200.0

COUNTIES = (
    ("511902", "巴州区"),
    ("511903", "恩阳区"),
    ("511921", "通江县"),
    ("511922", "南江县"),
    ("511923", "平昌县"),
)


def make_fleet(villages_per_township: int = 3, extra_kiosks: int = 0) -> Fleet:
    """Two townships in 巴州区 and one in 恩阳区; kiosk-bz-0001 serves 兴隆村 like the kiosk demo."""
    townships = [
        Township(code="bz-t01", name="兴隆镇", county="511902", lat=31.85, lon=106.77),
        Township(code="bz-t02", name="曾口镇", county="511902", lat=31.80, lon=106.90),
        Township(code="ey-t01", name="柳林镇", county="511903", lat=31.78, lon=106.60),
    ]
    names = {"bz-t01-v01": "兴隆村", "bz-t01-v02": "石桥村", "bz-t01-v03": "柏林村"}
    villages: list[Village] = []
    for t in townships:
        for i in range(1, villages_per_township + 1):
            code = f"{t.code}-v{i:02d}"
            villages.append(
                Village(
                    code=code,
                    name=names.get(code, f"{t.name[:2]}{i}村"),
                    township=t.code,
                    lat=t.lat + i * 0.01,
                    lon=t.lon + i * 0.01,
                )
            )
    sites = [
        Site(
            id=f"ss-{v.code}",
            kind="service_station",
            township=v.township,
            village=v.code,
            lat=v.lat,
            lon=v.lon,
        )
        for v in villages
    ]
    kiosks = [
        Kiosk(id="kiosk-bz-0001", village="bz-t01-v01", site="ss-bz-t01-v01"),
        Kiosk(id="kiosk-bz-0002", village="bz-t01-v02", site="ss-bz-t01-v02"),
        Kiosk(id="kiosk-ey-0001", village="ey-t01-v01", site="ss-ey-t01-v01"),
    ]
    bz = [v for v in villages if v.township.startswith("bz-")]
    for n in range(extra_kiosks):
        v = bz[n % len(bz)]
        kiosks.append(Kiosk(id=f"kiosk-sim-{n:03d}", village=v.code, site=f"ss-{v.code}"))
    return Fleet(
        counties=tuple(County(code=c, name=n) for c, n in COUNTIES),
        townships=tuple(townships),
        villages=tuple(villages),
        sites=tuple(sites),
        kiosks=tuple(kiosks),
    )


def hub_config(tmp: Path, fleet: Fleet | None = None, **workorders: Any) -> HubConfig:
    """A hub config with a fleet file, a data dir under ``tmp`` and tokens for the tests."""
    tmp.mkdir(parents=True, exist_ok=True)
    dump_fleet(fleet or make_fleet(), tmp / "fleet.yaml")
    return HubConfig.model_validate(
        {
            "fleet": str(tmp / "fleet.yaml"),
            "data_dir": str(tmp / "data"),
            "api": {
                "tokens": [
                    {"name": "city-it", "token": ADMIN_TOKEN, "role": "admin"},
                    {"name": "dashboard", "token": READ_TOKEN, "role": "read"},
                ]
            },
            "workorders": {"open311_keys": [{"name": "fixmystreet", "key": OPEN311_KEY}], **workorders},
        }
    )


@dataclass
class Recorder:
    """Stands in for the MQTT link: keeps everything published."""

    sent: list[tuple[str, bytes, bool]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> None:
        self.sent.append((topic, payload, retain))

    def replies(self, node: str, kind: NodeKind = NodeKind.KIOSK) -> list[p.Reply]:
        topic = node_topic(kind, node, Verb.REPLY)
        return [codec.decode_as(b, p.Reply) for t, b, _ in self.sent if t == topic]

    def statuses(self, node: str) -> list[p.Command]:
        """The receipt_status commands sent to a kiosk (rebirth requests left out)."""
        topic = node_topic(NodeKind.KIOSK, node, Verb.CMD)
        commands = [codec.decode_as(b, p.Command) for t, b, _ in self.sent if t == topic]
        return [c for c in commands if c.command == "receipt_status"]

    def content(self) -> dict[str, p.Content]:
        """The last retained content message per topic."""
        out: dict[str, p.Content] = {}
        for t, b, retain in self.sent:
            if t.startswith("cl/v1/content/") and retain:
                out[t] = codec.decode_as(b, p.Content)
        return out


class KioskNode:
    """A kiosk as the hub sees it: BIRTH, REQ and EVENT with its own seq and client ids."""

    _ids = itertools.count(1)

    def __init__(self, kit: Kit, node: str, kind: NodeKind = NodeKind.KIOSK) -> None:
        self.kit = kit
        self.node = node
        self.kind = kind
        self.seq = SeqCounter()
        self.bd_seq = 1

    def new_id(self) -> str:
        return f"REQ{next(self._ids):013d}"

    def birth(self) -> None:
        msg = p.NodeBirth(ts=self.kit.ms(), seq=self.seq.birth(), bd_seq=self.bd_seq, version="0.1.0")
        self.kit.feed(node_topic(self.kind, self.node, Verb.BIRTH), codec.encode(msg))

    def death(self) -> None:
        msg = p.NodeDeath(ts=self.kit.ms(), bd_seq=self.bd_seq)
        self.kit.feed(node_topic(self.kind, self.node, Verb.DEATH), codec.encode(msg))
        self.bd_seq += 1

    def send(
        self,
        body: p.RequestBody,
        *,
        rid: str | None = None,
        assisted_by: str | None = None,
        ts: int | None = None,
    ) -> str:
        rid = rid or self.new_id()
        msg = p.Request(
            ts=ts if ts is not None else self.kit.ms(),
            seq=self.seq.take(),
            id=rid,
            assisted_by=assisted_by,
            body=body,
        )
        self.kit.feed(node_topic(self.kind, self.node, Verb.REQ), codec.encode(msg))
        return rid

    def event(self, name: str, attrs: dict[str, str | int | float | bool], ts: int | None = None) -> None:
        msg = p.Event(
            ts=ts if ts is not None else self.kit.ms(), seq=self.seq.take(), event=name, attrs=attrs
        )
        self.kit.feed(node_topic(self.kind, self.node, Verb.EVENT), codec.encode(msg))

    async def ask(self, body: p.RequestBody, **kw: Any) -> p.Reply:
        """Send and wait for the reply to this request id."""
        rid = self.send(body, **kw)
        await self.kit.wo.drained()
        return next(r for r in reversed(self.kit.out.replies(self.node, self.kind)) if r.id == rid)


@dataclass
class Kit:
    app: web.Application
    client: TestClient[web.Request, web.Application]
    clock: ManualClock
    out: Recorder

    @property
    def wo(self) -> WorkOrders:
        return self.app[keys.WORKORDERS]

    def ms(self) -> int:
        return int(self.clock() * 1000)

    def feed(self, topic: str, payload: bytes) -> None:
        self.app[keys.DISPATCHER].handle(Raw(topic, payload, self.clock.advance(0.01)))

    def kiosk(self, node: str = "kiosk-bz-0001", kind: NodeKind = NodeKind.KIOSK) -> KioskNode:
        return KioskNode(self, node, kind)

    async def api(
        self, method: str, path: str, *, token: dict[str, str] = ADMIN, **kw: Any
    ) -> tuple[int, Any]:
        resp = await self.client.request(method, path, headers=token, **kw)
        body = await resp.json() if resp.content_type == "application/json" else await resp.text()
        return resp.status, body

    async def helper(self, helper_id: str = "s01", scope: str = "township", code: str = "bz-t01") -> None:
        status, body = await self.api(
            "POST", "/api/v1/helpers", json={"id": helper_id, "name": "王代办", "scope": scope, "code": code}
        )
        assert status == 200, body

    async def staff(
        self, username: str, department: str, role: str = "handler", password: str = "correct horse battery"
    ) -> None:
        status, body = await self.api(
            "POST",
            "/api/v1/staff",
            json={
                "username": username,
                "name": f"{username}同志",
                "department": department,
                "role": role,
                "password": password,
            },
        )
        assert status == 200, body


@asynccontextmanager
async def running_kit(tmp: Path, fleet: Fleet | None = None, **workorders: Any) -> AsyncIterator[Kit]:
    """The app started (database open, intake running) with a recording publisher."""
    clock = ManualClock(MONDAY_9AM)
    app = create_app(hub_config(tmp, fleet, **workorders), clock=clock, with_mqtt=False)
    out = Recorder()
    app[keys.COMMANDS].publisher = out
    async with TestClient(TestServer(app)) as client:
        kit = Kit(app, client, clock, out)
        yield kit


@asynccontextmanager
async def live_kit(
    tmp: Path, broker_host: str, broker_port: int, fleet: Fleet | None = None, **workorders: Any
) -> AsyncIterator[Kit]:
    """The real hub with its MQTT link to a real broker, on the wall clock."""
    config = hub_config(tmp, fleet, **workorders)
    mqtt = {"host": broker_host, "port": broker_port, "reconnect_min_delay": 1, "reconnect_max_delay": 2}
    config = HubConfig.model_validate({**config.model_dump(), "mqtt": mqtt})
    app = create_app(config)
    async with TestClient(TestServer(app)) as client:
        yield Kit(app, client, ManualClock(), Recorder())
