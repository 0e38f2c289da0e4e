"""The MQTT adapter and the outbox replay against a real Mosquitto and the hub stand-in (hubstub)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from contract import payloads as p
from tests.kiosk.conftest import KioskFactory, said
from tests.kiosk.hubstub import HubStub
from tests.kiosk.test_models import file_appeal
from tests.support.services import Mosquitto

pytestmark = pytest.mark.mosquitto


@pytest.fixture
def hub(mosquitto: Mosquitto) -> Iterator[HubStub]:
    stub = HubStub(mosquitto.host, mosquitto.port)
    yield stub
    stub.stop()


def test_birth_after_will_with_the_same_bdseq_and_death_on_clean_stop(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: len(hub.of("BIRTH")) == 1, timeout=5000)
    birth = hub.of("BIRTH")[0]
    assert birth.seq == 0
    assert birth.labels["village"] == "bz-t01-v01"
    k.stop()
    qtbot.waitUntil(lambda: len(hub.of("DEATH")) == 1, timeout=5000)
    assert hub.of("DEATH")[0].bd_seq == birth.bd_seq


def test_appeal_is_stored_once_and_leaves_the_outbox(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    file_appeal(k)
    qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=5000)
    assert "已送到镇上" in k.receipt.stateText
    [(node, req)] = hub.requests
    assert node == "kiosk-bz-0001"
    assert isinstance(req.body, p.Appeal)
    assert not req.historical
    local = k.sync.receipts.find(k.receipt.code.replace(" ", ""))
    assert local is not None
    assert local.hub_receipt == hub.stored[req.id]


def test_unanswered_requests_are_replayed_with_the_same_id_until_acknowledged(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, qtbot: QtBot
) -> None:
    silent = HubStub(mosquitto.host, mosquitto.port, answering=False)
    try:
        k = make_kiosk(broker=(mosquitto.host, mosquitto.port), retry_s=0.2)
        qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
        k.help.call()
        qtbot.waitUntil(lambda: len(silent.requests) >= 3, timeout=5000)
        assert len(set(silent.ids())) == 1, "a replay must reuse the client id"
        assert silent.requests[1][1].historical
        silent.answering = True
        qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=5000)
        # The stand-in hub says only "stored": the kiosk must not claim more than that.
        assert k.help.state == "sent"
        assert "求助已经送到" in k.help.message
    finally:
        silent.stop()


def test_offline_submissions_replay_after_the_broker_returns(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    mosquitto.stop()
    qtbot.waitUntil(lambda: not k.sync.online, timeout=5000)
    file_appeal(k)
    assert "网络不通" in k.status.text
    assert "1件待上传" in k.status.text
    mosquitto.start()  # same port; kiosk and hub stand-in reconnect by themselves
    qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=15000)
    assert hub.requests[-1][1].historical
    qtbot.waitUntil(lambda: len(hub.of("BIRTH")) >= 2, timeout=5000)
    births = hub.of("BIRTH")
    assert births[-1].bd_seq != births[0].bd_seq


def test_hub_state_offline_holds_the_outbox(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    hub.publish_state(False)
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.link and not k.sync.online, timeout=5000)
    k.nav.go("rating")
    k.rating.choose(5)
    k.rating.submit()
    qtbot.wait(300)
    assert not hub.requests
    hub.publish_state(True)
    qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=5000)


def test_status_push_and_lookup_and_usage_event(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    code = file_appeal(k)
    qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=5000)
    receipt = next(iter(hub.stored.values()))
    k.nav.go("lookup")
    k.lookup.setInput(code)
    k.lookup.query()
    qtbot.waitUntil(lambda: k.lookup.status == "received", timeout=5000)
    hub.set_status("kiosk-bz-0001", receipt, "in_progress", "已派电工")
    qtbot.waitUntil(lambda: k.lookup.status == "in_progress", timeout=5000)
    assert "已派电工" in k.lookup.result
    k.session.finish()
    qtbot.waitUntil(lambda: len(hub.of("EVENT")) == 1, timeout=5000)
    event = hub.of("EVENT")[0]
    assert event.event == "session_end"
    assert event.attrs["appeal"] == 1
    assert "路灯" not in str(event.attrs)
    qtbot.waitUntil(lambda: not k.store.query("SELECT 1 FROM events"), timeout=5000)


def test_heartbeat_carries_outbox_depth(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port), heartbeat_s=0.2)
    qtbot.waitUntil(lambda: len(hub.of("DATA")) >= 2, timeout=5000)
    names = {s.name for s in hub.of("DATA")[-1].metrics}
    assert {"kiosk_outbox_depth", "kiosk_sessions_total", "kiosk_uptime_seconds"} <= names
    assert k.sync.link


def test_the_hub_adopts_the_kiosk_receipt_code(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    code = file_appeal(k)
    qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=5000)
    [(_, req)] = hub.requests
    assert isinstance(req.body, p.Appeal)
    assert req.body.receipt == code
    assert hub.stored[req.id] == code  # one code, valid at every kiosk
    assert k.receipt.code.replace(" ", "") == code


def test_a_taken_code_is_replaced_by_the_hubs_on_screen_and_aloud(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    hub.adopt = False
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    ours = file_appeal(k)
    qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=5000)
    theirs = next(iter(hub.stored.values()))
    assert theirs != ours
    qtbot.waitUntil(lambda: k.receipt.code.replace(" ", "") == theirs, timeout=2000)
    assert any("查询码换了" in t and theirs[0] in t for t in said(k))
    assert theirs in k.receipt.codeNote
    # The code first shown still works here: translated to the hub's for the query.
    hub.set_status("kiosk-bz-0001", theirs, "in_progress", "已派电工")
    k.nav.go("lookup")
    k.lookup.setInput(ours)
    k.lookup.query()
    qtbot.waitUntil(lambda: k.lookup.status == "in_progress", timeout=5000)
    assert [r.body.receipt for _, r in hub.requests if isinstance(r.body, p.ReceiptQuery)] == [theirs]


def test_undo_after_upload_withdraws_at_the_hub(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    code = file_appeal(k)
    qtbot.waitUntil(lambda: "已送到镇上" in k.receipt.stateText, timeout=5000)
    assert k.receipt.canUndo
    k.receipt.undo()
    assert "正在撤回" in k.receipt.stateText
    qtbot.waitUntil(lambda: "镇上已经确认" in k.receipt.stateText, timeout=5000)
    appeal_id = next(r.id for _, r in hub.requests if isinstance(r.body, p.Appeal))
    assert hub.withdrawn == {appeal_id}
    withdraw = next(r for _, r in hub.requests if isinstance(r.body, p.Withdraw))
    assert withdraw.body.target_id == appeal_id  # type: ignore[union-attr]
    local = k.sync.receipts.find(code)
    assert local is not None
    assert local.status == "withdrawn"
    assert not k.receipt.canUndo
    assert k.sync.outbox.depth() == 0


def test_a_refused_withdrawal_is_told_honestly(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    hub.refuse_withdraw = "已经在办理"
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    file_appeal(k)
    qtbot.waitUntil(lambda: "已送到镇上" in k.receipt.stateText, timeout=5000)
    k.receipt.undo()
    qtbot.waitUntil(lambda: "没能撤回" in k.receipt.stateText, timeout=5000)
    assert "已经在办理" in k.receipt.stateText
    assert "告诉村干部" in said(k)[-1]


def test_a_withdrawal_never_overtakes_the_request_it_withdraws(
    make_kiosk: KioskFactory, mosquitto: Mosquitto, qtbot: QtBot
) -> None:
    silent = HubStub(mosquitto.host, mosquitto.port, answering=False)
    try:
        k = make_kiosk(broker=(mosquitto.host, mosquitto.port), retry_s=0.3)
        qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
        k.nav.go("rating")
        k.rating.choose(1)
        k.rating.submit()
        qtbot.waitUntil(lambda: len(silent.requests) >= 1, timeout=5000)  # sent, not acknowledged
        k.rating.undo()  # it may be at the hub: a Withdraw, not a silent delete
        assert "镇上也会收到撤回" in k.rating.message
        qtbot.waitUntil(lambda: len(silent.requests) >= 3, timeout=5000)
        assert all(isinstance(r.body, p.Rating) for _, r in silent.requests), "Withdraw sent too early"
        silent.answering = True
        qtbot.waitUntil(lambda: k.sync.outbox.depth() == 0, timeout=5000)
        kinds = [type(r.body).__name__ for _, r in silent.requests]
        assert kinds.index("Withdraw") > kinds.index("Rating")
        assert len(silent.withdrawn) == 1
    finally:
        silent.stop()
