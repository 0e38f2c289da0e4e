"""Kiosk content: validated in the kiosk's shapes, versioned, retained per scope, re-sent on reconnect;
surveys and consultations: published to an area, one answer per person, results by village."""

from __future__ import annotations

import asyncio

from contract import payloads as p
from hub import keys
from kiosk.services.content import packaged
from kiosk.services.content import validate as kiosk_validate
from tests.hub.workorders.kit import READ, Kit


def kiosks_accept(kit: Kit) -> None:
    """Every retained document the hub sent passes the kiosk's own check of its kind."""
    for topic, doc in kit.out.content().items():
        if not doc.withdrawn:
            kiosk_validate(doc.kind, doc.body, complete=topic.startswith("cl/v1/content/all/"))


NOTICE = {
    "id": "n-2026-118",
    "kind": "通知",
    "title": "冬季用电安全",
    "date": "2026-11-28",
    "body": "不要私拉电线。",
}


async def test_categories_come_from_the_rules_file(kit: Kit) -> None:
    docs = kit.out.content()
    doc = docs["cl/v1/content/all/categories"]
    assert doc.kind == "categories"
    assert [i["id"] for i in doc.body["items"]][:3] == ["roads", "water", "power"]
    assert doc.version.startswith("2026.0302.")
    kiosks_accept(kit)


async def test_every_packaged_kiosk_file_fits_its_shape(kit: Kit) -> None:
    """What the kiosk ships must be publishable unchanged (minus its own version key)."""
    for kind in ("catalog", "notices", "affairs", "info", "health"):
        body = {k: v for k, v in packaged(kind).items() if k != "version"}
        status, doc = await kit.api("POST", "/api/v1/content", json={"kind": kind, "body": body})
        assert status == 201, (kind, doc)
    kiosks_accept(kit)


async def test_publish_is_versioned_and_retained_per_scope(kit: Kit) -> None:
    first = {"kind": "notices", "scope": "village", "code": "bz-t01-v01", "body": {"items": [NOTICE]}}
    status, doc = await kit.api("POST", "/api/v1/content", json=first)
    assert status == 201, doc
    assert (doc["revision"], doc["topic"]) == (1, "cl/v1/content/village/bz-t01-v01/notices")
    second = {**first, "body": {"items": [NOTICE, {**NOTICE, "id": "n-2026-119", "title": "通知二"}]}}
    _, doc2 = await kit.api("POST", "/api/v1/content", json=second)
    assert doc2["revision"] == 2
    # Kiosks compare versions as dotted numbers: each revision must compare newer.
    assert tuple(map(int, doc2["version"].split("."))) > tuple(map(int, doc["version"].split(".")))
    sent = kit.out.content()["cl/v1/content/village/bz-t01-v01/notices"]
    assert [i["id"] for i in sent.body["items"]] == ["n-2026-118", "n-2026-119"]
    assert all(retain for t, _, retain in kit.out.sent if t.startswith("cl/v1/content/"))
    kiosks_accept(kit)
    status, gone = await kit.api("DELETE", "/api/v1/content/notices/village?code=bz-t01-v01")
    assert (status, gone["withdrawn"]) == (200, True)
    tomb = kit.out.content()["cl/v1/content/village/bz-t01-v01/notices"]
    assert (tomb.withdrawn, tomb.body) == (True, {})


async def test_bad_content_is_refused_with_the_field_named(kit: Kit) -> None:
    before = len(kit.out.sent)
    bad = {"kind": "notices", "body": {"items": [{**NOTICE, "date": "yesterday"}]}}
    status, body = await kit.api("POST", "/api/v1/content", json=bad)
    assert status == 422
    assert "date" in body["error"]["message"]
    status, body = await kit.api(
        "POST",
        "/api/v1/content",
        json={"kind": "notices", "scope": "village", "code": "nowhere", "body": {"items": []}},
    )
    assert (status, "nowhere" in body["error"]["message"]) == (422, True)
    status, _ = await kit.api("POST", "/api/v1/content", json={"kind": "categories", "body": {"items": []}})
    assert status == 400, "categories are derived from the rules file"
    status, _ = await kit.api(
        "POST", "/api/v1/content", json={"kind": "notices", "body": {"items": []}}, token=READ
    )
    assert status == 403
    assert len(kit.out.sent) == before


async def test_content_is_sent_again_when_the_link_comes_back(kit: Kit) -> None:
    stats = kit.app[keys.STATS]
    stats.connection(True, kit.clock())
    for _ in range(40):
        if sum(t == "cl/v1/content/all/categories" for t, _, _ in kit.out.sent) >= 2:
            break
        await asyncio.sleep(0.05)
    assert sum(t == "cl/v1/content/all/categories" for t, _, _ in kit.out.sent) == 2


SURVEY = {
    "id": "s-2026-07",
    "kind": "consultation",
    "title": "是否在村委会旁修建老年活动中心",
    "body": "约需十五万元。您是否同意？",
    "choices": [{"id": "support", "name": "同意"}, {"id": "oppose", "name": "不同意"}],
    "scope": "township",
    "code": "bz-t01",
}


async def test_survey_votes_and_results_by_village(kit: Kit) -> None:
    status, doc = await kit.api("POST", "/api/v1/surveys", json=SURVEY)
    assert status == 201, doc
    sent = kit.out.content()["cl/v1/content/township/bz-t01/surveys"]
    assert sent.body["items"][0]["kind"] == "重大事项协商"
    kiosks_accept(kit)
    a, b, far = kit.kiosk("kiosk-bz-0001"), kit.kiosk("kiosk-bz-0002"), kit.kiosk("kiosk-ey-0001")
    assert (await a.ask(p.Vote(item_id="s-2026-07", choice="support", voter_ref="h:1"))).status == "stored"
    assert (await a.ask(p.Vote(item_id="s-2026-07", choice="oppose"))).status == "stored"
    assert (await b.ask(p.Vote(item_id="s-2026-07", choice="support", voter_ref="h:2"))).status == "stored"
    again = await b.ask(p.Vote(item_id="s-2026-07", choice="oppose", voter_ref="h:1"))
    assert again.detail.startswith("already_voted")
    assert (await far.ask(p.Vote(item_id="s-2026-07", choice="support"))).detail.startswith("out_of_scope")
    assert (await a.ask(p.Vote(item_id="s-2026-07", choice="maybe"))).detail.startswith("bad_choice")
    status, results = await kit.api("GET", "/api/v1/surveys/s-2026-07/results", token=READ)
    assert status == 200
    assert results["total"] == 3
    assert {c["choice"]: c["votes"] for c in results["choices"]} == {"support": 2, "oppose": 1}
    by_village = {
        v["village_name"]: {c["choice"]: c["votes"] for c in v["choices"]} for v in results["villages"]
    }
    assert by_village == {"兴隆村": {"support": 1, "oppose": 1}, "石桥村": {"support": 1, "oppose": 0}}
    status, _ = await kit.api("POST", "/api/v1/surveys", json=SURVEY)
    assert status == 409, "an item id is never reused"
    status, _ = await kit.api("POST", "/api/v1/surveys/s-2026-07/close")
    assert status == 200
    assert kit.out.content()["cl/v1/content/township/bz-t01/surveys"].body["items"] == []
    assert (await a.ask(p.Vote(item_id="s-2026-07", choice="support"))).detail.startswith("item_closed")
