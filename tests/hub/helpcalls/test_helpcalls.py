"""Help calls end to end in the real hub app: the kiosk's Reply, the webhook, the console,
escalation, retries across a restart, and the metrics."""

from __future__ import annotations

import asyncio
import re

from contract import codec
from contract import payloads as p
from contract.topics import NodeKind, Verb, node_topic
from hub.clock import ManualClock
from tests.hub.console.test_console import csrf, sign_in
from tests.hub.helpcalls.conftest import HelpKit, Webhook, desk
from tests.hub.workorders.kit import MONDAY_9AM, Kit

NODE = "kiosk-bz-0001"


def help_status(kit: Kit, node: str = NODE) -> list[dict[str, object]]:
    topic = node_topic(NodeKind.KIOSK, node, Verb.CMD)
    commands = [codec.decode_as(b, p.Command) for t, b, _ in kit.out.sent if t == topic]
    return [dict(c.args) for c in commands if c.command == "help_status"]


async def events(kit: Kit) -> list[tuple[str, str]]:
    rows = await kit.wo.store.read(lambda db: list(db.query("SELECT actor, action FROM helpcall_events")))
    return [(r["actor"], r["action"]) for r in rows]


async def test_call_notifies_the_duty_cadre_and_the_kiosk_hears_each_step(
    help_kit: HelpKit, webhook: Webhook
) -> None:
    async with help_kit(webhook.url) as kit:
        kiosk = kit.kiosk()
        kiosk.birth()
        reply = await kiosk.ask(p.HelpCall(village="bz-t01-v01", reason="kiosk"), assisted_by=None)
        assert reply.status == "stored"
        assert reply.detail.startswith("notifying:")
        assert reply.result == {"helpcall": 1, "duty": "village", "name": "王书记"}
        assert "13800000001" not in codec.encode(reply).decode(), "a cadre's own phone never reaches a kiosk"
        await desk(kit).step()
        [sent] = webhook.received
        assert sent["to"] == {"name": "王书记", "phone": "13800000001", "level": "village"}
        assert (sent["reason"], sent["kiosk"], sent["village"]["name"]) == ("call", NODE, "兴隆村")
        assert "兴隆村" in sent["text"]
        assert sent["at"].startswith("2026-03-02T09:00")
        assert webhook.headers[0]["Idempotency-Key"] == "cunlink-helpcall-notice-1"
        assert help_status(kit) == [{"id": reply.id, "status": "notified", "name": "王书记"}]

        await kit.staff("li", "power")
        page = await sign_in(kit.client, "li")
        page = await (await kit.client.get("/console/helpcalls")).text()
        row = re.search(r'<tr id="call-1".*?</tr>', page, re.S)
        assert row is not None, page
        assert "兴隆村" in row[0]
        assert "王书记：已送达" in row[0]
        resp = await kit.client.post(
            "/console/helpcalls/1", data={"csrf": csrf(page), "action": "acknowledge", "coming": "王书记"}
        )
        assert resp.status == 200
        assert "已确认" in await resp.text()
        assert help_status(kit)[-1] == {"id": reply.id, "status": "acknowledged", "name": "王书记"}
        again = await kit.client.post(
            "/console/helpcalls/1", data={"csrf": csrf(page), "action": "acknowledge"}
        )
        assert again.status == 409
        assert "不能再确认" in await again.text()
        await kit.client.post("/console/helpcalls/1", data={"csrf": csrf(page), "action": "arrive"})
        await kit.client.post("/console/helpcalls/1", data={"csrf": csrf(page), "action": "close"})
        assert 'id="empty"' in await (await kit.client.get("/console/helpcalls")).text()
        assert await events(kit) == [
            (f"kiosk:{NODE}", "call"),
            ("system", "notified"),
            ("system", "kiosk_status"),
            ("staff:li（li同志）", "acknowledge"),
            ("system", "kiosk_status"),
            ("staff:li（li同志）", "arrive"),
            ("system", "kiosk_status"),
            ("staff:li（li同志）", "close"),
        ]


async def test_nobody_on_duty_is_said_to_the_kiosk_and_shown_in_the_console(
    help_kit: HelpKit, webhook: Webhook
) -> None:
    wednesday_10pm = ManualClock(MONDAY_9AM + 2 * 86400 + 13 * 3600)
    async with help_kit(webhook.url, clock=wednesday_10pm) as kit:
        reply = await kit.kiosk().ask(p.HelpCall(village="bz-t01-v01"))
        assert reply.detail.startswith("nobody_on_duty:")
        assert reply.result == {"helpcall": 1, "duty": "none", "phone": "0827-5261001"}
        await desk(kit).step()
        assert webhook.attempts == 0
        await kit.staff("li", "power")
        await sign_in(kit.client, "li")
        page = await (await kit.client.get("/console/helpcalls")).text()
        assert "无人值班，未通知任何人" in page
        assert "0827-5261001" in page
        metrics = await (await kit.client.get("/metrics")).text()
        assert 'cl_helpcalls_nobody_on_duty_total{county="巴州区"} 1.0' in metrics


async def test_failed_notices_back_off_are_counted_and_survive_a_restart(
    help_kit: HelpKit, webhook: Webhook
) -> None:
    clock = ManualClock(MONDAY_9AM)
    webhook.fail = [503, 503, 503]
    async with help_kit(webhook.url, clock=clock) as kit:
        await kit.kiosk().ask(p.HelpCall(village="bz-t01-v01"))
        helpdesk = desk(kit)
        await helpdesk.step()
        await helpdesk.step()
        assert webhook.attempts == 1, "the retry waits for its back-off"
        clock.advance(5)
        await helpdesk.step()
        assert webhook.attempts == 2
        clock.advance(5)
        await helpdesk.step()
        assert webhook.attempts == 2, "the second wait is twice as long"
        assert helpdesk.counters()["errors"] == {"http_5xx": 2}
        metrics = await (await kit.client.get("/metrics")).text()
        assert 'cl_helpcall_notify_errors_total{reason="http_5xx"} 2.0' in metrics
        assert "cl_helpcall_notices_pending 1.0" in metrics
    clock.advance(60)
    async with help_kit(webhook.url, clock=clock) as kit:
        await desk(kit).step()  # 503 once more, then the back-off (capped at 40 s)
        clock.advance(40)
        await desk(kit).step()
        assert [r["notice"] for r in webhook.received] == [1]
        [notice] = await kit.wo.store.read(lambda db: list(db.query("SELECT * FROM helpcall_notices")))
        assert (notice["state"], notice["attempts"]) == ("sent", 4)


async def test_unconfigured_webhook_keeps_notices_and_says_why(help_kit: HelpKit) -> None:
    async with help_kit(None) as kit:
        await kit.kiosk().ask(p.HelpCall(village="bz-t01-v01"))
        await desk(kit).step()
        assert desk(kit).counters()["errors"] == {"unconfigured": 1}
        await kit.staff("li", "power")
        await sign_in(kit.client, "li")
        page = await (await kit.client.get("/console/helpcalls")).text()
        assert "王书记：发送中" in page
        assert "unconfigured" in page


async def test_unacknowledged_call_escalates_once_to_the_township_and_shows_overdue(
    help_kit: HelpKit, webhook: Webhook
) -> None:
    clock = ManualClock(MONDAY_9AM)
    async with help_kit(webhook.url, clock=clock, escalate_after_minutes=10) as kit:
        kiosk = kit.kiosk()
        kiosk.birth()
        await kiosk.ask(p.HelpCall(village="bz-t01-v01"))
        await desk(kit).step()
        clock.advance(9 * 60)
        await desk(kit).step()
        assert len(webhook.received) == 1
        clock.advance(61)
        await desk(kit).step()
        await desk(kit).step()
        assert [(r["reason"], r["to"]["name"]) for r in webhook.received] == [
            ("call", "王书记"),
            ("escalation", "张镇长"),
        ]
        assert "无人确认" in webhook.received[1]["text"]
        metrics = await (await kit.client.get("/metrics")).text()
        assert 'cl_helpcalls_overdue{county="巴州区"} 1.0' in metrics
        assert 'cl_helpcalls_unacknowledged{county="巴州区"} 1.0' in metrics
        assert 'cl_helpcalls_oldest_unacknowledged_seconds{county="巴州区"} 601.' in metrics
        assert 'cl_helpcalls_open{county="恩阳区"} 0.0' in metrics
        await kit.staff("li", "power")
        await sign_in(kit.client, "li")
        page = await (await kit.client.get("/console/helpcalls")).text()
        assert '<tr id="call-1" class="overdue">' in page
        assert "张镇长（超时转办）：已送达" in page
        assert [s["status"] for s in help_status(kit)] == ["notified"], "only the first delivery is news"


async def test_withdrawn_call_stops_notifying(help_kit: HelpKit) -> None:
    async with help_kit(None) as kit:
        kiosk = kit.kiosk()
        rid = (await kiosk.ask(p.HelpCall(village="bz-t01-v01"))).id
        reply = await kiosk.ask(p.Withdraw(target_id=rid))
        assert reply.status == "stored"
        calls = await kit.wo.store.read(
            lambda db: list(
                db.query("SELECT c.state, n.state AS notice FROM helpcalls c JOIN helpcall_notices n")
            )
        )
        assert [(c["state"], c["notice"]) for c in calls] == [("closed", "cancelled")]


async def test_the_background_loop_delivers_without_being_asked(help_kit: HelpKit, webhook: Webhook) -> None:
    async with help_kit(webhook.url) as kit:
        await kit.kiosk().ask(p.HelpCall(village="bz-t01-v01"))
        for _ in range(100):
            if webhook.received:
                break
            await asyncio.sleep(0.05)
        assert [r["to"]["name"] for r in webhook.received] == ["王书记"]


async def test_acknowledging_stops_paging_a_cadre_who_was_not_reached(
    help_kit: HelpKit, webhook: Webhook
) -> None:
    webhook.fail = [503]
    clock = ManualClock(MONDAY_9AM)
    async with help_kit(webhook.url, clock=clock) as kit:
        await kit.kiosk().ask(p.HelpCall(village="bz-t01-v01"))
        await desk(kit).step()
        await desk(kit).act(1, "acknowledge", "staff:li", coming="村医刘大夫")
        clock.advance(60)
        await desk(kit).step()
        assert (webhook.attempts, webhook.received) == (1, [])
        [notice] = await kit.wo.store.read(lambda db: list(db.query("SELECT state FROM helpcall_notices")))
        assert notice["state"] == "cancelled"
        [ack] = await kit.wo.store.read(
            lambda db: list(db.query("SELECT note FROM helpcall_events WHERE action = 'acknowledge'"))
        )
        assert ack["note"].startswith("村医刘大夫前往")
