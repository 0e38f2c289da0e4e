"""好差评: ratings on completed orders and services, follow-up tasks for bad ones, reopening."""

from __future__ import annotations

from typing import Any

from contract import payloads as p
from tests.hub.workorders.kit import READ, Kit


async def resolved_order(kit: Kit, receipt: str = "RRRRRR") -> None:
    kiosk = kit.kiosk()
    kiosk.birth()
    await kiosk.ask(p.Appeal(category="water", village="bz-t01-v01", text="停水两天了", receipt=receipt))
    for action, note in (("accept", ""), ("reply", "明天修"), ("resolve", "管道已修好，恢复供水")):
        status, body = await kit.api(
            "POST", f"/api/v1/workorders/{receipt}/actions", json={"action": action, "note": note}
        )
        assert status == 200, body


async def order(kit: Kit, receipt: str) -> dict[str, Any]:
    status, body = await kit.api("GET", f"/api/v1/workorders/{receipt}", token=READ)
    assert status == 200
    return body  # type: ignore[no-any-return]


async def test_rating_before_resolution_is_refused(kit: Kit) -> None:
    k = kit.kiosk()
    await k.ask(p.Appeal(category="water", village="bz-t01-v01", text="停水", receipt="QQQQQQ"))
    reply = await k.ask(p.Rating(target_kind="work_order", target_id="QQQQQQ", score=5))
    assert reply.status == "rejected"
    assert reply.detail.startswith("not_completed")


async def test_good_rating_closes_the_order_after_callback(kit: Kit) -> None:
    await resolved_order(kit)
    body = await order(kit, "RRRRRR")
    assert body["state"] == "resolved"
    assert body["status_notes"] == "管道已修好，恢复供水"
    reply = await kit.kiosk().ask(
        p.Rating(target_kind="work_order", target_id="rrrrrr", score=5, comment="很快")
    )
    assert reply.status == "stored"
    body = await order(kit, "RRRRRR")
    assert body["state"] == "closed"
    assert body["ratings"] == [5]
    assert [h["action"] for h in body["history"]][-3:] == ["rate", "callback", "close"]
    again = await kit.kiosk().ask(p.Rating(target_kind="work_order", target_id="RRRRRR", score=1))
    assert again.detail.startswith("already_rated")
    assert kit.out.statuses("kiosk-bz-0001")[-1].args["status"] == "closed"


async def test_bad_rating_opens_a_follow_up_task_with_its_own_deadline(kit: Kit) -> None:
    await resolved_order(kit)
    reply = await kit.kiosk().ask(
        p.Rating(target_kind="work_order", target_id="RRRRRR", score=1, comment="没修好")
    )
    assert reply.status == "stored"
    body = await order(kit, "RRRRRR")
    assert body["state"] == "callback"
    assert body["followups_open"] == 1
    status, tasks = await kit.api("GET", "/api/v1/followups?department=water", token=READ)
    assert status == 200
    [task] = tasks["items"]
    assert (task["receipt"], task["score"], task["comment"]) == ("RRRRRR", 1, "没修好")
    # 15 working days from Monday 2026-03-02: due at the end of Monday 2026-03-23.
    assert task["deadline"] == "2026-03-24T00:00:00+08:00"
    # The dispatcher reopens; the department fixes it; the task is closed with what was done.
    status, body = await kit.api(
        "POST", "/api/v1/workorders/RRRRRR/actions", json={"action": "reopen", "note": "村民说没修好"}
    )
    assert (status, body["state"], body["reopened"]) == (200, "dispatched", 1)
    status, done = await kit.api(
        "POST", f"/api/v1/followups/{task['id']}/done", json={"note": "已上门回访并重新维修"}
    )
    assert status == 200
    assert done["items"][0]["state"] == "done"
    _, tasks = await kit.api("GET", "/api/v1/followups", token=READ)
    assert tasks["items"] == []


async def test_service_ratings_of_a_station(kit: Kit) -> None:
    k = kit.kiosk()
    good = await k.ask(p.Rating(target_kind="service", target_id="kiosk-bz-0001", score=4))
    bad = await k.ask(p.Rating(target_kind="service", target_id="kiosk-bz-0001", score=2, comment="排队太久"))
    assert (good.status, bad.status) == ("stored", "stored")
    _, tasks = await kit.api("GET", "/api/v1/followups", token=READ)
    [task] = tasks["items"]
    assert (task["department"], task["receipt"], task["score"]) == ("dispatch", None, 2)
    # Undo within ten minutes also cancels the follow-up it caused.
    rid = kit.out.replies("kiosk-bz-0001")[-1].id
    undo = await k.ask(p.Withdraw(target_id=rid))
    assert undo.status == "stored"
    _, tasks = await kit.api("GET", "/api/v1/followups", token=READ)
    assert tasks["items"] == []


async def test_flow_refuses_out_of_order_steps(kit: Kit) -> None:
    await kit.kiosk().ask(p.Appeal(category="water", village="bz-t01-v01", text="停水", receipt="SSSSSS"))
    status, body = await kit.api(
        "POST", "/api/v1/workorders/SSSSSS/actions", json={"action": "resolve", "note": "x"}
    )
    assert (status, body["error"]["code"]) == (409, "flow")
    assert "不能办结" in body["error"]["message"]
    status, body = await kit.api("POST", "/api/v1/workorders/SSSSSS/actions", json={"action": "return"})
    assert status == 409
    assert "请填写说明" in body["error"]["message"]
    status, body = await kit.api(
        "POST",
        "/api/v1/workorders/SSSSSS/actions",
        json={"action": "return", "note": "不归水务局，是村里自建水池"},
    )
    assert (status, body["state"]) == (200, "returned")
    status, body = await kit.api(
        "POST", "/api/v1/workorders/SSSSSS/actions", json={"action": "dispatch", "department": "environment"}
    )
    assert (status, body["state"], body["department"]) == (200, "dispatched", "environment")
    status, body = await kit.api("GET", "/api/v1/workorders/SSSSSS", token=READ)
    assert [(h["action"], h["actor"]) for h in body["history"]][-2:] == [
        ("return", "api:city-it"),
        ("dispatch", "api:city-it"),
    ]


async def test_overdue_flag_follows_working_days(kit: Kit) -> None:
    await kit.kiosk().ask(p.Appeal(category="power", village="bz-t01-v01", text="停电", receipt="TTTTTT"))
    body = await order(kit, "TTTTTT")
    assert (body["overdue"], body["working_days_left"]) == (False, 4)
    kit.clock.advance(4 * 86400)  # Friday: due end of Thursday
    body = await order(kit, "TTTTTT")
    assert (body["overdue"], body["working_days_left"]) == (True, -1)
    _, listing = await kit.api("GET", "/api/v1/workorders?overdue=true", token=READ)
    assert [o["receipt"] for o in listing["items"]] == ["TTTTTT"]
