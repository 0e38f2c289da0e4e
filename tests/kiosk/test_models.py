"""Headless model tests: every behaviour without a window."""

from __future__ import annotations

import json

import pytest
from pytestqt.qtbot import QtBot

from contract import payloads as p
from kiosk.core import Kiosk
from kiosk.models.navigation import SCREENS, TILES
from kiosk.services.outbox import Outbox
from tests.kiosk.conftest import KioskFactory, said


def file_appeal(k: Kiosk, text: str = "村口的路灯坏了三天了", phone: str = "") -> str:
    k.nav.go("appeal")
    k.appeal.chooseCategory("power")
    k.appeal.chooseVillage("bz-t01-v02")
    k.appeal.setText(text)
    k.appeal.toPhone()
    for digit in phone:
        k.appeal.pressDigit(digit)
    if phone:
        k.appeal.toConfirm()
    else:
        k.appeal.skipPhone()
    assert k.appeal.step == "confirm"
    k.appeal.submit()
    return k.receipt.code.replace(" ", "")


def test_home_has_six_to_eight_tiles_and_every_service_is_within_three_taps(kiosk: Kiosk) -> None:
    assert 6 <= len(TILES) <= 8
    # tap 1 opens every tile's screen; the deepest screens are one list entry and one detail further.
    for screen, *_ in TILES:
        kiosk.nav.go(screen)
        assert kiosk.nav.screen == screen
        kiosk.nav.home()
    kiosk.nav.go("guide")  # 1
    kiosk.catalog.openGroup("社保养老")  # 2
    kiosk.catalog.openItem("pension-cert")  # 3
    assert kiosk.nav.screen == "guide_item"
    assert kiosk.catalog.item["local"] is True
    assert set(SCREENS) >= {s for s, *_ in TILES}


def test_appeal_is_durable_before_the_receipt_and_holds_no_personal_data_in_the_qr(kiosk: Kiosk) -> None:
    code = file_appeal(kiosk, phone="13812345678")
    assert kiosk.nav.screen == "receipt"
    pending = Outbox(kiosk.store).due(0)
    assert len(pending) == 1
    body = pending[0].body
    assert isinstance(body, p.Appeal)
    assert (body.category, body.village, body.contact) == ("power", "bz-t01-v02", "13812345678")
    assert len(code) == 6
    # The QR is a PNG of "CL1:<code>" only; the receipt model never sees text or phone again.
    assert kiosk.receipt.qr.startswith("data:image/png;base64,")
    assert "13812345678" not in json.dumps(kiosk.receipt.qr)
    assert "已保存在本机" in kiosk.receipt.stateText
    assert any(code[0] in t and "查询码" in t for t in said(kiosk))
    # The form forgot everything once sent.
    assert kiosk.appeal.text == ""
    assert kiosk.appeal.phoneMasked == "不留电话"


def test_phone_is_masked_and_validated(kiosk: Kiosk) -> None:
    kiosk.nav.go("appeal")
    kiosk.appeal.chooseCategory("water")
    kiosk.appeal.chooseVillage("bz-t01-v01")
    kiosk.appeal.toPhone()
    assert kiosk.appeal.step == "text"
    assert "至少写两个字" in kiosk.appeal.error
    kiosk.appeal.setText("水浑")
    kiosk.appeal.toPhone()
    for d in "1234":
        kiosk.appeal.pressDigit(d)
    kiosk.appeal.toConfirm()
    assert kiosk.appeal.step == "phone"
    assert "11位" in kiosk.appeal.error
    for d in "1381234567":
        kiosk.appeal.pressDigit(d)
    kiosk.appeal.erasePhone()
    for d in "38":
        kiosk.appeal.pressDigit(d)
    kiosk.appeal.toConfirm()
    assert kiosk.appeal.phoneMasked.count("*") == 4
    assert not any("12345678" in t for t in said(kiosk)), "a phone number was spoken aloud"


def test_undo_within_ten_minutes_deletes_before_upload(make_kiosk: KioskFactory) -> None:
    k = make_kiosk()
    file_appeal(k)
    assert k.receipt.canUndo
    k.receipt.undo()
    assert k.sync.outbox.depth() == 0
    assert "已撤回" in k.receipt.stateText
    file_appeal(k)
    k.receipt.undo_s = -1  # the window has passed
    assert not k.receipt.canUndo


def test_elder_mode_changes_sizes_speech_rate_and_timeouts(kiosk: Kiosk) -> None:
    body, target, idle = kiosk.elder.bodyPx, kiosk.elder.targetPx, None
    kiosk.nav.go("guide")
    idle = kiosk.idle.idle_seconds()
    kiosk.elder.toggle()
    assert (kiosk.elder.bodyPx, kiosk.elder.targetPx) == (40, 112)
    assert (body, target) == (32, 96)
    assert kiosk.voice.rate == kiosk.cfg.voice.elder_rate < kiosk.cfg.voice.rate
    assert kiosk.idle.idle_seconds() == 2 * idle
    assert kiosk.elder.pageSize < 4


def test_idle_warns_aloud_allows_unlimited_extensions_then_wipes(
    make_kiosk: KioskFactory, qtbot: QtBot
) -> None:
    k = make_kiosk(tick_ms=2, browse_s=10, warning_s=20)
    k.nav.go("notices")
    k.reading.openNotice("n-2026-031")
    for _ in range(12):  # WCAG 2.2.1 wants >= 10 extensions; there is no limit
        qtbot.waitUntil(lambda: k.idle.warning, timeout=2000)
        assert "您还在吗" in said(k)[-1]
        k.idle.extend()
    assert k.idle.extensions == 12
    with qtbot.waitSignal(k.session.ended, timeout=3000) as ended:
        pass
    assert ended.args[0]["reason"] == "idle"
    assert k.nav.screen == "home"
    assert k.reading.article == {}
    assert k.voice.caption == ""


def test_session_end_wipes_every_model_and_reports_usage_without_content(kiosk: Kiosk) -> None:
    kiosk.elder.toggle()
    kiosk.voice.louder()
    file_appeal(kiosk, text="我家隔壁王大爷的低保")
    kiosk.nav.go("rating")
    kiosk.rating.choose(2)
    kiosk.rating.submit()
    kiosk.nav.go("lookup")
    kiosk.lookup.setInput("ABC123")
    kiosk.session.finish()
    assert not kiosk.elder.on
    assert kiosk.voice.volume == kiosk.cfg.voice.volume
    assert (kiosk.lookup.input, kiosk.rating.score, kiosk.receipt.code, kiosk.appeal.text) == ("", 0, "", "")
    rows = kiosk.store.query("SELECT event, attrs FROM events")
    assert [r["event"] for r in rows] == ["session_end"]
    attrs = json.loads(rows[0]["attrs"])
    assert attrs["appeal"] == 1
    assert attrs["rating"] == 1
    assert attrs["elder_mode"] is True
    assert "王大爷" not in rows[0]["attrs"]


def test_assisted_mode_marks_records_audits_and_expires(make_kiosk: KioskFactory, qtbot: QtBot) -> None:
    k = make_kiosk()
    k.nav.go("assist")
    for d in "1111":
        k.assisted.press(d)
    k.assisted.signIn()
    assert not k.assisted.active
    assert "不对" in k.assisted.message
    for d in "2468":
        k.assisted.press(d)
    assert k.assisted.code == "●●●●"
    k.assisted.signIn()
    assert k.assisted.active
    assert "s01" in k.assisted.banner
    file_appeal(k)
    assert Outbox(k.store).due(0)[0].assisted_by == "s01"
    audit = [(r["staff"], r["action"]) for r in k.store.query("SELECT * FROM audit ORDER BY rowid")]
    assert audit == [("-", "sign_in_failed"), ("s01", "sign_in"), ("s01", "appeal")]
    assert not any("2468" in t for t in said(k))
    k.assisted._expiry.start(5)
    qtbot.waitUntil(lambda: not k.assisted.active, timeout=2000)
    k.nav.go("rating")
    k.rating.choose(5)
    k.rating.submit()
    assert [x.assisted_by for x in Outbox(k.store).due(0)] == ["s01", None]


def test_session_end_signs_the_helper_out(kiosk: Kiosk) -> None:
    for d in "2468":
        kiosk.assisted.press(d)
    kiosk.assisted.signIn()
    kiosk.session.finish()
    assert not kiosk.assisted.active


def test_help_call_is_queued_offline_and_says_so(kiosk: Kiosk) -> None:
    kiosk.help.call()
    assert kiosk.help.open
    assert "网络暂时不通" in kiosk.help.message
    assert "网络暂时不通" in said(kiosk)[-1]
    [item] = Outbox(kiosk.store).due(0)
    assert isinstance(item.body, p.HelpCall)
    assert item.body.village == "bz-t01-v01"


def test_survey_one_answer_per_session_and_undo(kiosk: Kiosk) -> None:
    kiosk.nav.go("surveys")
    kiosk.surveys.open("s-2026-07")
    kiosk.surveys.vote("support")
    kiosk.surveys.vote("oppose")
    assert kiosk.sync.outbox.depth() == 1
    assert kiosk.surveys.current["answer"] == "同意"
    kiosk.surveys.undo()
    kiosk.surveys.vote("oppose")
    [item] = Outbox(kiosk.store).due(0)
    assert isinstance(item.body, p.Vote)
    assert item.body.choice == "oppose"


def test_rating_faces_are_spoken_and_sent_once(kiosk: Kiosk) -> None:
    kiosk.nav.go("rating")
    assert [f["score"] for f in kiosk.rating.faces] == [5, 4, 3, 2, 1]
    kiosk.rating.choose(1)
    assert "非常不满意" in said(kiosk)[-1]
    kiosk.rating.submit()
    kiosk.rating.submit()
    assert kiosk.sync.outbox.depth() == 1
    assert "回访" in kiosk.rating.message


def test_lookup_offline_uses_the_last_known_status(kiosk: Kiosk) -> None:
    code = file_appeal(kiosk)
    kiosk.nav.go("lookup")
    kiosk.lookup.setInput(code.lower())
    kiosk.lookup.query()
    assert kiosk.lookup.status == "pending"
    kiosk.sync.outbox.acknowledge(Outbox(kiosk.store).due(0)[0].id)
    kiosk.sync.receipts.update_status(code, "in_progress", "")
    kiosk.lookup.query()
    assert "正在办理" in kiosk.lookup.result
    assert "本机最近" in kiosk.lookup.result


def test_paging_follows_elder_mode(kiosk: Kiosk) -> None:
    pager = kiosk.catalog.groups
    assert len(pager.rows) == 4
    assert pager.hasNext
    kiosk.elder.toggle()
    assert len(pager.rows) == 3
    pager.next()
    assert pager.pageLabel.startswith("第2页")


@pytest.mark.parametrize("text", ["你好", "路灯坏了"])
def test_screen_read_aloud_and_hear_again(kiosk: Kiosk, text: str) -> None:
    kiosk.voice.say(text)
    kiosk.voice.hearAgain()
    assert said(kiosk)[-2:] == [text, text]
    kiosk.elder.setOn(True)
    kiosk.nav.go("guide")
    assert said(kiosk)[-1] == SCREENS["guide"].spoken
