"""Kiosk requests become work orders once: receipts, routing, deadlines, 附议, pushes, undo."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from contract import payloads as p
from tests.hub.workorders.kit import Kit, running_kit


def appeal(category: str = "power", village: str = "bz-t01-v01", **kw: object) -> p.Appeal:
    return p.Appeal(category=category, village=village, text=kw.pop("text", "村口的路灯坏了三天了"), **kw)  # type: ignore[arg-type]


async def test_appeal_becomes_a_routed_order_with_the_kiosk_receipt(kit: Kit) -> None:
    k = kit.kiosk()
    k.birth()
    reply = await k.ask(appeal(receipt="7K3QX9"))
    assert (reply.status, reply.receipt, reply.detail) == ("stored", "7K3QX9", "")
    status, order = await kit.api("GET", "/api/v1/workorders/7K3QX9")
    assert status == 200
    assert (order["state"], order["department"], order["category"]) == ("dispatched", "power", "power")
    assert (order["village"], order["township"], order["county"]) == ("bz-t01-v01", "bz-t01", "511902")
    # power: 3 working days from Monday 09:00 -> end of Thursday, China time.
    assert order["deadline"] == "2026-03-06T00:00:00+08:00"
    assert [h["action"] for h in order["history"]] == ["file", "dispatch"]
    assert order["history"][1]["actor"] == "system"
    # The kiosk is told at once that its appeal went to a department.
    [cmd] = kit.out.statuses("kiosk-bz-0001")
    assert cmd.command == "receipt_status"
    assert cmd.args["receipt"] == "7K3QX9"
    assert cmd.args["status"] == "dispatched"


async def test_same_id_is_stored_once_and_answered_duplicate(kit: Kit) -> None:
    k = kit.kiosk()
    first = await k.ask(appeal(), rid="01JD6Q8R2M4K9V3X")
    again = await k.ask(appeal(), rid="01JD6Q8R2M4K9V3X")
    assert first.status == "stored"
    assert (again.status, again.receipt) == ("duplicate", first.receipt)
    assert first.receipt is not None
    assert len(first.receipt) == 8, "no kiosk code given: the hub assigns an 8-symbol one"
    status, listing = await kit.api("GET", "/api/v1/workorders")
    assert status == 200
    assert len(listing["items"]) == 1


async def test_taken_kiosk_code_is_replaced_and_returned(kit: Kit) -> None:
    a, b = kit.kiosk("kiosk-bz-0001"), kit.kiosk("kiosk-bz-0002")
    first = await a.ask(appeal(receipt="AAAAAA"))
    second = await b.ask(appeal(category="water", village="bz-t01-v02", receipt="AAAAAA"))
    assert first.receipt == "AAAAAA"
    assert second.status == "stored"
    assert second.receipt is not None
    assert second.receipt != "AAAAAA"


async def test_unrouted_category_waits_in_the_default_queue(kit: Kit) -> None:
    reply = await kit.kiosk().ask(appeal(category="other", text="不知道找谁"))
    _, order = await kit.api("GET", f"/api/v1/workorders/{reply.receipt}")
    assert (order["state"], order["department"]) == ("received", "dispatch")


async def test_roads_route_by_county(kit: Kit) -> None:
    bz = await kit.kiosk("kiosk-bz-0001").ask(appeal(category="roads"))
    ey = await kit.kiosk("kiosk-ey-0001").ask(appeal(category="roads", village="ey-t01-v01"))
    _, one = await kit.api("GET", f"/api/v1/workorders/{bz.receipt}")
    _, two = await kit.api("GET", f"/api/v1/workorders/{ey.receipt}")
    assert (one["department"], two["department"]) == ("roads-bazhou", "roads-enyang")


async def test_same_matter_in_the_same_village_is_seconded(kit: Kit) -> None:
    a, b = kit.kiosk("kiosk-bz-0001"), kit.kiosk("kiosk-bz-0002")
    await a.ask(appeal(receipt="BBBBBB"))
    second = await b.ask(appeal(text="路灯还是不亮", receipt="CCCCCC"))
    assert (second.status, second.receipt) == ("stored", "CCCCCC")
    assert second.detail.startswith("second:")
    assert "BBBBBB" in second.detail
    _, order = await kit.api("GET", "/api/v1/workorders/CCCCCC")
    assert order["receipt"] == "BBBBBB"
    assert order["seconds"] == 1
    assert [f["receipt"] for f in order["filings"]] == ["BBBBBB", "CCCCCC"]
    assert "路灯还是不亮" in order["history"][-1]["note"]
    _, listing = await kit.api("GET", "/api/v1/workorders")
    assert len(listing["items"]) == 1
    # After the window, the same matter is a new order.
    kit.clock.advance(8 * 86400)
    third = await a.ask(appeal(text="又坏了"))
    _, listing = await kit.api("GET", "/api/v1/workorders")
    assert len(listing["items"]) == 2
    assert not third.detail


async def test_status_changes_reach_every_filer_and_offline_kiosks_after_birth(kit: Kit) -> None:
    a, b = kit.kiosk("kiosk-bz-0001"), kit.kiosk("kiosk-bz-0002")
    a.birth()
    b.birth()
    await a.ask(appeal(receipt="DDDDDD"))
    await b.ask(appeal(receipt="EEEEEE"))
    b.death()  # b goes offline
    await kit.wo.drained()
    await kit.api("POST", "/api/v1/workorders/DDDDDD/actions", json={"action": "accept"})
    await kit.api("POST", "/api/v1/workorders/DDDDDD/actions", json={"action": "reply", "note": "已派电工"})
    assert kit.out.statuses("kiosk-bz-0001")[-1].args == {
        "receipt": "DDDDDD",
        "status": "in_progress",
        "status_notes": "已派电工",
        "updated": kit.out.statuses("kiosk-bz-0001")[-1].args["updated"],
    }
    before = len(kit.out.statuses("kiosk-bz-0002"))
    assert kit.out.statuses("kiosk-bz-0002")[-1].args["status"] == "dispatched"
    b.birth()
    await kit.wo.drained()
    pushed = kit.out.statuses("kiosk-bz-0002")[before:]
    assert [(c.args["receipt"], c.args["status"]) for c in pushed] == [("EEEEEE", "in_progress")]


async def test_receipt_query(kit: Kit) -> None:
    k = kit.kiosk()
    await k.ask(appeal(receipt="FFFFFF"))
    reply = await k.ask(p.ReceiptQuery(receipt="ffffff"))
    assert reply.status == "result"
    assert reply.result["status"] == "dispatched"
    assert reply.result["receipt"] == "FFFFFF"
    unknown = await k.ask(p.ReceiptQuery(receipt="ZZZZZZ"))
    assert (unknown.status, unknown.result) == ("result", {})
    assert unknown.detail.startswith("unknown_receipt")


async def test_withdraw_within_the_undo_window(kit: Kit) -> None:
    k = kit.kiosk()
    rid = k.send(appeal(receipt="GGGGGG"))
    reply = await k.ask(p.Withdraw(target_id=rid, reason="不用了"))
    assert reply.status == "stored"
    _, order = await kit.api("GET", "/api/v1/workorders/GGGGGG")
    assert order["state"] == "withdrawn"
    assert order["history"][-1]["action"] == "withdraw"
    late_rid = k.send(appeal(category="water", receipt="HHHHHH"))
    kit.clock.advance(601)
    late = await k.ask(p.Withdraw(target_id=late_rid))
    assert late.status == "rejected"
    assert late.detail.startswith("undo_expired")
    _, order = await kit.api("GET", "/api/v1/workorders/HHHHHH")
    assert order["state"] == "dispatched"


async def test_assisted_by_must_be_a_registered_helper(kit: Kit) -> None:
    await kit.helper("s01", scope="township", code="bz-t01")
    k = kit.kiosk()
    ok = await k.ask(appeal(), assisted_by="s01")
    assert ok.status == "stored"
    _, order = await kit.api("GET", f"/api/v1/workorders/{ok.receipt}")
    assert order["filings"][0]["assisted_by"] == "s01"
    bad = await k.ask(appeal(category="water"), assisted_by="s99")
    assert bad.status == "rejected"
    assert bad.detail.startswith("unknown_helper")
    away = await kit.kiosk("kiosk-ey-0001").ask(appeal(village="ey-t01-v01"), assisted_by="s01")
    assert away.detail.startswith("helper_out_of_area")


async def test_history_is_append_only(kit: Kit) -> None:
    await kit.kiosk().ask(appeal())
    conn = sqlite3.connect(kit.wo.store.path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE history SET note = 'forged'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM history")
    finally:
        conn.close()


async def test_help_call_and_usage_events_are_stored(kit: Kit) -> None:
    k = kit.kiosk()
    reply = await k.ask(p.HelpCall(village="bz-t01-v01", reason="kiosk"))
    assert reply.status == "stored"
    attrs: dict[str, str | int | float | bool] = {
        "duration_s": 120,
        "services": 2,
        "elder_mode": True,
        "assisted": False,
    }
    k.event("session_end", attrs, ts=1_772_413_300_000)
    k.event("session_end", attrs, ts=1_772_413_300_000)  # a QoS 1 redelivery
    await kit.wo.drained()
    rows = await kit.wo.store.read(lambda db: list(db.query("SELECT * FROM usage")))
    assert len(rows) == 1
    assert (rows[0]["village"], rows[0]["services"], rows[0]["elder"]) == ("bz-t01-v01", 2, 1)


async def test_voice_note_reference_from_the_kiosk(kit: Kit) -> None:
    """What kiosk/services/voice_files.py writes: the file stays in that kiosk's outbox for now."""
    ref = "kiosk://kiosk-bz-0001/voice/01JD6Q8R2M4K9V3X.m4a"
    reply = await kit.kiosk().ask(appeal(text="", voice_ref=ref))
    assert reply.status == "stored"
    _, order = await kit.api("GET", f"/api/v1/workorders/{reply.receipt}")
    assert order["has_voice"] is True


async def test_ids_survive_a_hub_restart(tmp_path: Path) -> None:
    """The durable write comes before the reply, so a restarted hub still knows every id."""
    async with running_kit(tmp_path) as kit:
        first = await kit.kiosk().ask(appeal(), rid="RESTART000000001")
    async with running_kit(tmp_path) as kit:
        again = await kit.kiosk().ask(appeal(), rid="RESTART000000001")
        _, listing = await kit.api("GET", "/api/v1/workorders")
    assert (first.status, again.status) == ("stored", "duplicate")
    assert again.receipt == first.receipt
    assert len(listing["items"]) == 1
