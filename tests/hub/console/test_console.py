"""The handler console over HTTP: sign-in, CSRF, per-department queues, the flow by forms."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from contract import payloads as p
from tests.hub.workorders.kit import Kit

PASSWORD = "correct horse battery"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found[1]


async def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:  # type: ignore[type-arg]
    page = await (await client.get("/console/login")).text()
    resp = await client.post(
        "/console/login",
        data={"csrf": csrf(page), "username": username, "password": password},
        allow_redirects=True,
    )
    return await resp.text()


async def test_handler_signs_in_and_works_an_order_through_forms(kit: Kit) -> None:
    await kit.staff("li", "power")
    kiosk = kit.kiosk()
    kiosk.birth()
    await kiosk.ask(
        p.Appeal(category="power", village="bz-t01-v01", text="<b>路灯</b>坏了", receipt="KKKKKK")
    )
    await kiosk.ask(p.Appeal(category="water", village="bz-t01-v01", text="停水", receipt="MMMMMM"))
    queue = await sign_in(kit.client, "li")
    assert "li同志" in queue
    assert 'id="order-KKKKKK"' in queue
    assert "MMMMMM" not in queue, "another department's order is not in this queue"
    page = await (await kit.client.get("/console/orders/KKKKKK")).text()
    assert "&lt;b&gt;路灯&lt;/b&gt;坏了" in page, "villagers' words are escaped"
    assert 'id="act-accept"' in page
    assert 'id="act-return"' in page
    token = csrf(page)
    for action, note in (("accept", ""), ("reply", "电工明天上午到"), ("resolve", "路灯已修好")):
        resp = await kit.client.post(
            "/console/orders/KKKKKK", data={"csrf": token, "action": action, "note": note}
        )
        assert resp.status == 200
        assert "已" in await resp.text()
    _, order = await kit.api("GET", "/api/v1/workorders/KKKKKK")
    assert (order["state"], order["status_notes"]) == ("resolved", "路灯已修好")
    assert [h["actor"] for h in order["history"][-3:]] == ["staff:li"] * 3
    assert kit.out.statuses("kiosk-bz-0001")[-1].args["status"] == "resolved"
    other = await kit.client.get("/console/orders/MMMMMM")
    assert other.status == 404


async def test_forms_without_the_session_token_or_from_elsewhere_are_refused(kit: Kit) -> None:
    await kit.staff("li", "power")
    await kit.kiosk().ask(p.Appeal(category="power", village="bz-t01-v01", text="停电", receipt="NNNNNN"))
    await sign_in(kit.client, "li")
    forged = await kit.client.post("/console/orders/NNNNNN", data={"csrf": "guess", "action": "accept"})
    assert forged.status == 403
    page = await (await kit.client.get("/console/orders/NNNNNN")).text()
    cross = await kit.client.post(
        "/console/orders/NNNNNN",
        data={"csrf": csrf(page), "action": "accept"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status == 403
    _, order = await kit.api("GET", "/api/v1/workorders/NNNNNN")
    assert order["state"] == "dispatched"


async def test_out_of_turn_action_shows_the_reason(kit: Kit) -> None:
    await kit.staff("li", "power")
    await kit.kiosk().ask(p.Appeal(category="power", village="bz-t01-v01", text="停电", receipt="PPPPPP"))
    await sign_in(kit.client, "li")
    token = csrf(await (await kit.client.get("/console/orders/PPPPPP")).text())
    resp = await kit.client.post(
        "/console/orders/PPPPPP", data={"csrf": token, "action": "resolve", "note": "x"}
    )
    assert resp.status == 409
    assert "不能办结" in await resp.text()
    resp = await kit.client.post(
        "/console/orders/PPPPPP", data={"csrf": token, "action": "return", "note": ""}
    )
    assert resp.status == 409
    assert "请填写说明" in await resp.text()


async def test_dispatcher_routes_what_no_rule_routed(kit: Kit) -> None:
    await kit.staff("zhang", "dispatch", role="dispatcher")
    await kit.kiosk().ask(
        p.Appeal(category="other", village="bz-t01-v01", text="桥边护栏倒了", receipt="QQQQQQ")
    )
    queue = await sign_in(kit.client, "zhang")
    assert 'id="order-QQQQQQ"' in queue
    page = await (await kit.client.get("/console/orders/QQQQQQ")).text()
    assert 'id="act-dispatch"' in page
    resp = await kit.client.post(
        "/console/orders/QQQQQQ",
        data={"csrf": csrf(page), "action": "dispatch", "department": "roads-bazhou"},
    )
    assert resp.status == 200
    _, order = await kit.api("GET", "/api/v1/workorders/QQQQQQ")
    assert (order["state"], order["department"]) == ("dispatched", "roads-bazhou")


async def test_sign_in_failures_lock_the_account_and_cookies_are_strict(kit: Kit) -> None:
    await kit.staff("li", "power")
    page = await (await kit.client.get("/console/login")).text()
    no_cookie = await kit.client.post(
        "/console/login",
        data={"csrf": "made-up", "username": "li", "password": PASSWORD},
        allow_redirects=False,
    )
    assert no_cookie.status == 403
    for _ in range(5):
        text = await sign_in(kit.client, "li", "wrong password")
        assert "用户名或密码不对" in text
    locked = await sign_in(kit.client, "li")
    assert "用户名或密码不对" in locked, "right password, but the account is locked for a minute"
    await kit.staff("wang", "water")
    page = await (await kit.client.get("/console/login")).text()
    resp = await kit.client.post(
        "/console/login",
        data={"csrf": csrf(page), "username": "wang", "password": PASSWORD},
        allow_redirects=False,
    )
    assert resp.status == 303
    cookie = resp.headers["Set-Cookie"]
    for flag in ("HttpOnly", "SameSite=Strict", "Path=/console/"):
        assert flag in cookie
    queue = await (await kit.client.get("/console/queue")).text()
    assert "巴中市水务局" in queue
    logout = await kit.client.post("/console/logout", data={"csrf": csrf(queue)}, allow_redirects=False)
    assert logout.status == 303
    after = await kit.client.get("/console/queue", allow_redirects=False)
    assert (after.status, after.headers["Location"]) == (303, "/console/login")


async def test_passwords_are_stored_as_scrypt_hashes(kit: Kit) -> None:
    await kit.staff("li", "power")
    rows = await kit.wo.store.read(lambda db: list(db.query("SELECT password FROM staff")))
    assert rows[0]["password"].startswith("scrypt$16384$8$1$")
    assert PASSWORD not in rows[0]["password"]
    status, staff = await kit.api("GET", "/api/v1/staff")
    assert status == 200
    assert "password" not in staff[0]


async def test_follow_up_tasks_page(kit: Kit) -> None:
    await kit.staff("zhang", "dispatch", role="dispatcher")
    await kit.kiosk().ask(
        p.Rating(target_kind="service", target_id="kiosk-bz-0001", score=1, comment="态度不好")
    )
    await sign_in(kit.client, "zhang")
    page = await (await kit.client.get("/console/tasks")).text()
    assert "态度不好" in page
    task_id = re.search(r'id="task-(\d+)"', page)
    assert task_id
    resp = await kit.client.post(
        f"/console/tasks/{task_id[1]}", data={"csrf": csrf(page), "note": "已电话回访，向村民道歉"}
    )
    assert resp.status == 200
    assert "没有待办的回访任务" in await resp.text()
