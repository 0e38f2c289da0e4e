"""Bad input gets a clear error and changes nothing: over MQTT, the REST API and Open311."""

from __future__ import annotations

from typing import Any

import pytest

from contract import payloads as p
from contract.topics import NodeKind
from tests.hub.workorders.kit import ADMIN, OPEN311_KEY, Kit

TABLES = ("orders", "filings", "history", "requests", "pushes", "ratings", "votes", "helpcalls", "tasks")
DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


async def counts(kit: Kit) -> dict[str, int]:
    def read(db: Any) -> dict[str, int]:
        return {t: next(iter(db.query(f"SELECT COUNT(*) AS n FROM {t}")))["n"] for t in TABLES}

    return await kit.wo.store.read(read)


def appeal(**kw: Any) -> p.Appeal:
    fields: dict[str, Any] = {"category": "power", "village": "bz-t01-v01", "text": "路灯坏了"}
    fields.update(kw)
    return p.Appeal(**fields)


@pytest.mark.parametrize(
    ("body", "reason", "words"),
    [
        (appeal(category="potholes"), "unknown_category", "potholes"),
        (appeal(village="nowhere-v99"), "unknown_village", "nowhere-v99"),
        (appeal(village="ey-t01-v01"), "unknown_village", "不在本终端所在的区县"),
        (appeal(text="长" * 2001), "text_too_long", "最多2000个字"),
        (appeal(text="", voice_ref=None), "empty", "请说明"),
        (appeal(voice_ref=f"opus:3000000:{DIGEST}"), "bad_media", "more than the 2097152 allowed"),
        (appeal(photo_ref=f"bmp:1000:{DIGEST}"), "bad_media", "not accepted"),
        (appeal(photo_ref="http://example.com/x.jpg"), "bad_media", "neither kiosk://"),
        (
            appeal(voice_ref="kiosk://kiosk-bz-0002/voice/01JD6Q8R2M4K9V3X.m4a"),
            "bad_media",
            "another kiosk's file",
        ),
        (
            appeal(voice_ref="kiosk://kiosk-bz-0001/voice/01JD6Q8R2M4K9V3X.m4a?bytes=9999999"),
            "bad_media",
            "more than",
        ),
        (appeal(receipt="IL0U00"), "bad_receipt", "格式不对"),
        (p.Rating(target_kind="work_order", target_id="ZZZZZZ", score=5), "unknown_receipt", "ZZZZZZ"),
        (
            p.Rating(target_kind="service", target_id="some-other-thing", score=5),
            "unknown_service",
            "some-other-thing",
        ),
        (p.Vote(item_id="no-such-survey", choice="yes"), "unknown_item", "no-such-survey"),
        (p.HelpCall(village="nowhere"), "unknown_village", "nowhere"),
        (p.Withdraw(target_id="NEVERSENT0000000"), "unknown_request", "NEVERSENT0000000"),
        (p.ReceiptQuery(receipt="!!bad!!"), "bad_receipt", "格式不对"),
    ],
)
async def test_bad_requests_are_rejected_with_a_reason_and_change_nothing(
    kit: Kit, body: p.RequestBody, reason: str, words: str
) -> None:
    k = kit.kiosk()
    k.birth()
    await kit.wo.drained()
    before = await counts(kit)
    reply = await k.ask(body)
    assert reply.status == "rejected"
    assert reply.detail.startswith(f"{reason}: ")
    assert words in reply.detail
    assert await counts(kit) == before
    assert (
        kit.wo.requests[
            (
                type(body)
                .__name__.lower()
                .replace("helpcall", "help_call")
                .replace("receiptquery", "receipt_query"),
                reason,
            )
        ]
        == 1
    )


@pytest.mark.parametrize(
    ("kind", "node"), [(NodeKind.KIOSK, "kiosk-forged-9"), (NodeKind.AGENT, "edge-bz-01")]
)
async def test_forged_node_ids_are_rejected(kit: Kit, kind: NodeKind, node: str) -> None:
    """A REQ whose topic names a node that is not a kiosk of the fleet is answered, not stored."""
    before = await counts(kit)
    reply = await kit.kiosk(node, kind).ask(appeal())
    assert reply.status == "rejected"
    assert reply.detail.startswith("unknown_node: ")
    assert node in reply.detail
    assert await counts(kit) == before


async def test_rejected_request_may_be_sent_again_once_fixed(kit: Kit) -> None:
    """A rejection is not remembered against the id: nothing was stored."""
    k = kit.kiosk()
    bad = await k.ask(appeal(category="nope"), rid="FIXEDID000000001")
    assert bad.status == "rejected"
    good = await k.ask(appeal(), rid="FIXEDID000000001")
    assert good.status == "stored"


async def test_api_refuses_bad_input(kit: Kit) -> None:
    before = await counts(kit)
    assert (
        await kit.api(
            "POST", "/api/v1/workorders", json={"category": "x", "village": "bz-t01-v01", "text": "t"}
        )
    )[0] == 422
    status, body = await kit.api(
        "POST", "/api/v1/workorders", json={"category": "power", "village": "no", "text": "t"}
    )
    assert (status, body["error"]["code"]) == (422, "unknown_village")
    status, body = await kit.api("GET", "/api/v1/workorders/I-L-O-U!")
    assert (status, body["error"]["code"]) == (400, "bad_receipt")
    status, body = await kit.api("GET", "/api/v1/workorders/ZZZZZZ")
    assert status == 404
    status, body = await kit.api("POST", "/api/v1/workorders/ZZZZZZ/actions", json={"action": "accept"})
    assert status == 404
    status, body = await kit.api("POST", "/api/v1/workorders", json={"category": "power"}, token=ADMIN)
    assert (status, body["error"]["code"]) == (400, "invalid_body")
    assert await counts(kit) == before


async def test_open311_refuses_bad_input(kit: Kit) -> None:
    before = await counts(kit)
    base = {
        "api_key": OPEN311_KEY,
        "service_code": "power",
        "address_id": "bz-t01-v01",
        "description": "路灯坏了",
    }
    cases: list[tuple[dict[str, str], int, str]] = [
        ({**base, "service_code": "potholes"}, 404, "service_code"),
        ({**base, "description": "长" * 2001}, 400, "description longer"),
        ({**base, "api_key": "wrong"}, 403, "api_key"),
        ({**base, "address_id": "nowhere"}, 400, "address_id"),
        ({**base, "media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({**base, "service_code": "water", "attribute[scope]": "planet"}, 400, "not one of"),
        ({**base, "attribute[colour]": "red"}, 400, "unknown attribute"),
    ]
    for form, status, words in cases:
        resp = await kit.client.post("/open311/v2/requests.json", data=form)
        body = await resp.json()
        assert resp.status == status, (form, body)
        assert body[0]["code"] == status
        assert words in body[0]["description"]
    resp = await kit.client.get("/open311/v2/requests/I-L-O-U.json")
    assert resp.status == 400
    resp = await kit.client.get("/open311/v2/requests/ZZZZZZ.json")
    assert resp.status == 404
    assert await counts(kit) == before
