"""Content on the contract's retained topics: scopes, merge by item id, validation, persistence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from contract import payloads as p
from contract.topics import content_subscriptions
from kiosk.services.content import KINDS, ContentStore, packaged, validate
from kiosk.services.mqtt import content_scope
from kiosk.services.store import Store
from tests.kiosk.conftest import KioskFactory
from tests.kiosk.hubstub import HubStub
from tests.support.services import Mosquitto

AREA = {"county": "511902", "township": "bz-t01", "village": "bz-t01-v01"}
TS = 1795950000000


def notice(nid: str, title: str, date: str = "2026-11-28") -> dict[str, Any]:
    return {"id": nid, "title": title, "date": date, "body": f"{title}的内容。"}


def content(kind: str, version: str, body: dict[str, Any], ts: int = TS, **kw: Any) -> p.Content:
    return p.Content(ts=ts, version=version, kind=kind, body=body, **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "k.db")
    yield s
    s.close()


def titles(c: ContentStore, kind: str = "notices") -> list[str]:
    return [i["title"] for i in c.get(kind)["items"]]


def test_every_packaged_kind_has_the_shape_it_promises() -> None:
    assert set(KINDS) == {"catalog", "categories", "notices", "affairs", "surveys", "info", "health"}
    for kind in KINDS:
        validate(kind, packaged(kind), complete=True)


def test_topics_are_the_contracts() -> None:
    subs = content_subscriptions("511902", "bz-t01", "bz-t01-v01")
    assert subs[0] == "cl/v1/content/all/+"
    assert content_scope("cl/v1/content/all/notices") == ("all", "", "notices")
    assert content_scope("cl/v1/content/village/bz-t01-v01/affairs") == ("village", "bz-t01-v01", "affairs")
    assert content_scope("cl/v1/content/street/x/notices") is None
    assert content_scope("cl/v1/kiosk/k/REPLY") is None


def test_narrower_scopes_override_wider_by_item_id_and_come_first(store: Store) -> None:
    c = ContentStore(store, AREA)
    assert "秋季防汛安全提醒" in titles(c)  # the packaged floor until the hub speaks
    hub_all = {"items": [notice("a1", "全县医保通知"), notice("a2", "防火")]}
    assert c.offer("all", "", content("notices", "2026.11.1", hub_all))
    assert titles(c) == ["全县医保通知", "防火"]  # the hub's `all` replaces the packaged copy
    assert c.offer("county", "511902", content("notices", "1", {"items": [notice("a2", "防火（巴州区）")]}))
    assert c.offer("village", "bz-t01-v01", content("notices", "1", {"items": [notice("v1", "村里停水")]}))
    assert c.offer("township", "bz-t01", content("notices", "1", {"items": [notice("a2", "防火（兴隆镇）")]}))
    # a2 is overridden in place by the narrowest copy; v1 exists only in a narrower scope: first.
    assert titles(c) == ["村里停水", "全县医保通知", "防火（兴隆镇）"]
    assert c.version("notices").split() == ["all:2026.11.1", "county:1", "township:1", "village:1"]
    # Top-level keys other than items: the narrower scope replaces the wider one.
    weather = {"updated": "2026-11-29", "days": [{"day": "今天", "text": "晴", "temp": "5到12度"}]}
    assert c.offer("county", "511902", content("info", "7", {"weather": weather}))
    assert c.get("info")["weather"]["days"][0]["text"] == "晴"
    assert c.get("info")["farming"] == packaged("info")["farming"]


def test_withdrawn_removes_a_scope_and_the_packaged_floor_returns(store: Store) -> None:
    c = ContentStore(store, AREA)
    c.offer("all", "", content("notices", "2", {"items": [notice("a1", "全县通知")]}))
    c.offer("village", "bz-t01-v01", content("notices", "1", {"items": [notice("v1", "村里停水")]}))
    assert c.offer("village", "bz-t01-v01", content("notices", "2", {}, ts=TS + 1, withdrawn=True))
    assert titles(c) == ["全县通知"]
    assert c.offer("all", "", content("notices", "3", {}, ts=TS + 1, withdrawn=True))
    assert "秋季防汛安全提醒" in titles(c)


def test_invalid_old_repeated_or_foreign_content_keeps_the_last_good_copy(store: Store) -> None:
    c = ContentStore(store, AREA)
    good = {"items": [notice("a1", "全县通知")]}
    assert c.offer("all", "", content("notices", "2026.11.2", good))
    assert not c.offer("all", "", content("notices", "2026.11.2", good))  # retained redelivery
    assert not c.offer("all", "", content("notices", "2026.11.1", good, ts=TS - 1))  # late, older
    bad_bodies: list[dict[str, Any]] = [
        {"items": [{"id": "x", "title": "缺日期"}]},  # missing date and body
        {"items": [notice("x", "一"), notice("x", "二")]},  # repeated id
        {"items": [], "colour": "red"},  # unknown key
    ]
    for n, bad in enumerate(bad_bodies):
        assert not c.offer("all", "", content("notices", f"2026.12.{n}", bad, ts=TS + 10 + n))
    assert not c.offer("all", "", content("categories", "9", {"items": []}, ts=TS + 20))  # needs >= 1
    assert not c.offer("all", "", content("info", "9", {"farming": []}, ts=TS + 20))  # `all` must be whole
    assert not c.offer("village", "bz-t09-v09", content("notices", "9", good, ts=TS + 20))  # not our village
    assert titles(c) == ["全县通知"]
    assert titles(ContentStore(store, AREA)) == ["全县通知"]  # survives a restart


def test_layers_of_another_area_are_not_shown_after_the_kiosk_moves(store: Store) -> None:
    c = ContentStore(store, AREA)
    c.offer("village", "bz-t01-v01", content("notices", "1", {"items": [notice("v1", "兴隆村停水")]}))
    moved = ContentStore(store, {**AREA, "village": "bz-t01-v02"})
    assert "兴隆村停水" not in titles(moved)


@pytest.mark.mosquitto
def test_retained_content_reaches_the_kiosk_between_villagers(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, qtbot: QtBot
) -> None:
    hub = HubStub(mosquitto.host, mosquitto.port)
    try:
        # Retained before the kiosk exists: it gets them on subscribe.
        hub.publish_content("notices", "2026.11.29-1", {"items": [notice("a1", "冬季用电安全")]})
        hub.publish_content(
            "affairs", "1", {"items": [notice("v9", "十一月村务公开", "2026-11-29")]}, "village", "bz-t01-v01"
        )
        k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
        qtbot.waitUntil(lambda: "冬季用电安全" in [r["label"] for r in k.reading.notices.rows], timeout=5000)
        assert k.reading.notices.rows[0]["label"] == "十一月村务公开"  # newest first
        assert k.reading.notices.rows[0]["kind"] == "村务公开"
        # During a session nothing changes under the villager's finger; it does after the wipe.
        k.nav.go("notices")
        hub.publish_content("notices", "2026.11.30-1", {"items": [notice("a2", "道路结冰")]})
        qtbot.waitUntil(lambda: "2026.11.30-1" in k.content.version("notices"), timeout=5000)
        assert "道路结冰" not in [r["label"] for r in k.reading.notices.rows]
        k.session.finish()
        assert "道路结冰" in [r["label"] for r in k.reading.notices.rows]
        # A broken message is dropped, the kiosk keeps running and keeps its copy.
        hub._client.publish(
            "cl/v1/content/all/notices", b'{"ts": 1, "version": "x"}', qos=1
        ).wait_for_publish()
        hub.publish_content("surveys", "1", {"items": []}, "township", "bz-t01")
        qtbot.waitUntil(lambda: "township:1" in k.content.version("surveys"), timeout=5000)
        assert "道路结冰" in [r["label"] for r in k.reading.notices.rows]
    finally:
        hub.stop()
