"""The help overlay tells the villager only what is true: queued, sent, who is being
notified, nobody on duty, notified, acknowledged - driven by the hub's Reply and CMDs."""

from __future__ import annotations

from collections.abc import Callable

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pytestqt.qtbot import QtBot

from contract import payloads as p
from contract.codec import encode
from contract.topics import NodeKind, Verb, node_topic
from kiosk.core import Kiosk
from kiosk.walk import orient, settle
from tests.kiosk.conftest import KioskFactory, Ui, said
from tests.kiosk.hubstub import HubStub
from tests.kiosk.test_ui_targets import KIOSK_MD, measure
from tests.support.services import Mosquitto

NODE = "kiosk-bz-0001"


def reply(rid: str, detail: str, **result: str | int) -> p.Reply:
    return p.Reply(ts=1, id=rid, status="stored", detail=detail, result={"helpcall": 1, **result})


def status(rid: str, state: str, name: str = "王书记") -> p.Command:
    return p.Command(ts=1, command="help_status", args={"id": rid, "status": state, "name": name})


def test_each_step_is_said_as_it_becomes_true(kiosk: Kiosk) -> None:
    kiosk.help.call()
    rid = kiosk.help._rid
    assert kiosk.help.state == "queued"
    kiosk.sync.acknowledged.emit(rid, "stored")
    assert kiosk.help.state == "sent"
    assert "正在通知值班村干部" in said(kiosk)[-1]
    kiosk.help.replied(reply(rid, "notifying: 正在通知值班村干部王书记", duty="village", name="王书记"))
    assert kiosk.help.message == "求助已经送到，正在通知王书记。请在这里稍等。"
    kiosk.help.commanded(status(rid, "notified"))
    assert said(kiosk)[-1] == "已经通知王书记，请在这里稍等。"
    kiosk.help.close()
    kiosk.help.commanded(status(rid, "acknowledged"))
    assert kiosk.help.open, "news that someone is coming reopens the overlay"
    assert said(kiosk)[-1] == "王书记已经收到您的求助，正在赶来。请在这里稍等。"
    kiosk.help.commanded(status(rid, "notified"))
    assert kiosk.help.state == "acknowledged", "a late message never takes the villager back a step"
    kiosk.help.commanded(status("SOMEONE-ELSES-CALL", "arrived"))
    assert kiosk.help.state == "acknowledged"


def test_a_repeated_or_late_status_is_not_news(kiosk: Kiosk) -> None:
    kiosk.help.call()
    rid = kiosk.help._rid
    kiosk.sync.acknowledged.emit(rid, "stored")
    kiosk.help.replied(reply(rid, "notifying: 正在通知值班村干部王书记", duty="village", name="王书记"))
    kiosk.help.commanded(status(rid, "acknowledged", name="村医刘大夫"))
    spoken = len(said(kiosk))
    kiosk.help.close()
    kiosk.help.commanded(status(rid, "acknowledged", name="村医刘大夫"))  # re-sent after a BIRTH
    assert not kiosk.help.open, "the villager closed it; the same news does not reopen it"
    kiosk.help.commanded(status(rid, "notified", name="王书记"))
    duplicate = reply(rid, "notifying: 正在通知值班村干部王书记", duty="village", name="王书记")
    kiosk.help.replied(
        p.Reply(ts=1, id=rid, status="duplicate", detail=duplicate.detail, result=duplicate.result)
    )
    assert len(said(kiosk)) == spoken, "nothing is said twice"
    assert kiosk.help.state == "acknowledged"
    assert kiosk.help.message.startswith("村医刘大夫已经收到"), "a late status does not change who is coming"
    kiosk.help.commanded(status(rid, "arrived", name="村医刘大夫"))
    assert kiosk.help.open
    assert said(kiosk)[-1] == "村医刘大夫已经到了，请找村医刘大夫帮忙。"


def test_a_resent_call_answered_duplicate_still_names_the_cadre(kiosk: Kiosk) -> None:
    kiosk.help.call()
    rid = kiosk.help._rid
    kiosk.sync.acknowledged.emit(rid, "duplicate")
    first = reply(rid, "notifying: 正在通知值班村干部王书记", duty="village", name="王书记")
    kiosk.help.replied(p.Reply(ts=1, id=rid, status="duplicate", detail=first.detail, result=first.result))
    assert kiosk.help.message == "求助已经送到，正在通知王书记。请在这里稍等。"


def test_nobody_on_duty_sends_the_villager_to_the_staff_and_the_help_line(kiosk: Kiosk) -> None:
    kiosk.help.call()
    rid = kiosk.help._rid
    kiosk.sync.acknowledged.emit(rid, "stored")
    kiosk.help.replied(reply(rid, "nobody_on_duty: 现在没有村干部值班", duty="none", phone="0827-5261001"))
    assert kiosk.help.state == "nobody"
    assert (
        said(kiosk)[-1]
        == "现在没有村干部值班，求助已经记下。请找站点工作人员帮忙，或拨打求助电话 0827-5261001。"
    )
    assert "村干部已经" not in kiosk.help.message


def test_a_refused_call_is_not_reported_as_help_coming(kiosk: Kiosk) -> None:
    kiosk.help.call()
    kiosk.sync.acknowledged.emit(kiosk.help._rid, "rejected")
    assert kiosk.help.state == "failed"
    assert "没有发出去" in said(kiosk)[-1]


def test_after_the_session_ends_late_news_is_not_shown_to_the_next_villager(kiosk: Kiosk) -> None:
    kiosk.help.call()
    rid = kiosk.help._rid
    kiosk.session.finish()
    kiosk.help.commanded(status(rid, "acknowledged"))
    assert not kiosk.help.open
    assert kiosk.help.message == ""


@pytest.mark.mosquitto
def test_reply_and_help_status_arrive_over_mqtt(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, qtbot: QtBot
) -> None:
    hub = HubStub(mosquitto.host, mosquitto.port, answering=False)
    sender = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="help-test-hub")
    sender.connect(mosquitto.host, mosquitto.port)
    sender.loop_start()
    try:
        k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
        qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
        k.help.call()
        assert k.help.state == "sending"
        qtbot.waitUntil(lambda: len(hub.requests) == 1, timeout=5000)
        [(node, req)] = hub.requests
        assert isinstance(req.body, p.HelpCall)
        answer = reply(req.id, "notifying: 正在通知值班村干部王书记", duty="village", name="王书记")
        sender.publish(node_topic(NodeKind.KIOSK, node, Verb.REPLY), encode(answer), qos=1)
        qtbot.waitUntil(lambda: k.help.state == "notifying", timeout=5000)
        assert k.sync.outbox.depth() == 0
        command = status(req.id, "acknowledged")
        sender.publish(node_topic(NodeKind.KIOSK, node, Verb.CMD), encode(command), qos=1)
        qtbot.waitUntil(lambda: k.help.state == "acknowledged", timeout=5000)
        assert "王书记已经收到您的求助，正在赶来" in k.help.message
        assert node == NODE
    finally:
        sender.loop_stop()
        sender.disconnect()
        hub.stop()


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_the_longest_help_messages_meet_the_ui_targets_in_both_modes(
    make_kiosk: KioskFactory, make_ui: Callable[[Kiosk], Ui], orientation: str
) -> None:
    k = make_kiosk()
    ui = make_ui(k)
    orient(ui.window, orientation)
    breaches: list[str] = []
    for mode in ("standard", "elder"):
        k.elder.setOn(mode == "elder")
        for step in ("nobody", "acknowledged"):
            k.help.reset()
            k.help.call()
            rid = k.help._rid
            if step == "nobody":
                k.help.replied(reply(rid, "nobody_on_duty: x", duty="none", phone="0827-5261001"))
            else:
                k.help.commanded(status(rid, "acknowledged", name="欧阳副书记"))
            settle(60)
            assert k.help.state == step
            breaches += measure(ui.window, KIOSK_MD[mode], f"{orientation}/{mode}/help-{step}")
    assert not breaches, "\n".join(breaches)
