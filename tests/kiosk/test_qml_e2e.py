"""End to end through the real QML: a villager files an appeal in Pinyin, gets a receipt and
sees the status after the hub changes it; elder mode; idle wipe; keyboard privacy.

The hub is tests/kiosk/hubstub.py over a real Mosquitto: a seam we own that answers REQ
with Reply as docs/contract.md specifies, standing in for hub/ which is built in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from contract import payloads as p
from kiosk.core import Kiosk
from kiosk.walk import orient
from tests.kiosk.conftest import KioskFactory, Ui
from tests.kiosk.hubstub import HubStub
from tests.kiosk.qmldrive import candidates, item, key, open_appeal_text, pick, press_keys, tap, type_pinyin
from tests.support.services import Mosquitto

MakeUi = Callable[[Kiosk], Ui]


@pytest.fixture
def hub(mosquitto: Mosquitto) -> Iterator[HubStub]:
    stub = HubStub(mosquitto.host, mosquitto.port)
    yield stub
    stub.stop()


@pytest.mark.mosquitto
def test_file_an_appeal_in_pinyin_get_a_receipt_and_see_the_hub_change_it(
    make_kiosk: KioskFactory, make_ui: MakeUi, mosquitto: Mosquitto, hub: HubStub, qtbot: QtBot
) -> None:
    k = make_kiosk(broker=(mosquitto.host, mosquitto.port))
    ui = make_ui(k)
    w = ui.window
    qtbot.waitUntil(lambda: k.sync.online, timeout=5000)
    open_appeal_text(qtbot, w, "power")
    # Real taps on the kiosk's large keys and on the candidate bar.
    press_keys(qtbot, w, list("ludeng"))
    qtbot.waitUntil(lambda: "路灯" in candidates(w, 8), timeout=2000)
    press_keys(qtbot, w, ["路灯"])
    press_keys(qtbot, w, list("huaile"))
    qtbot.waitUntil(lambda: "坏了" in candidates(w, 8), timeout=2000)
    press_keys(qtbot, w, ["坏了"])
    qtbot.waitUntil(lambda: k.appeal.text == "路灯坏了", timeout=2000)
    tap(qtbot, w, "btnTextNext")
    qtbot.waitUntil(lambda: k.appeal.step == "phone" and item(w, "btnSkipPhone").isVisible(), timeout=2000)
    qtbot.wait(50)
    tap(qtbot, w, "btnSkipPhone")
    qtbot.waitUntil(lambda: k.appeal.step == "confirm", timeout=2000)
    qtbot.wait(50)
    assert "路灯坏了" in str(item(w, "confirmText").property("text"))
    tap(qtbot, w, "btnSubmit")
    qtbot.waitUntil(lambda: k.nav.screen == "receipt", timeout=2000)
    code = str(item(w, "receiptCode").property("text")).replace(" ", "")
    assert len(code) == 6
    qtbot.waitUntil(lambda: "已送到镇上" in str(item(w, "receiptState").property("text")), timeout=5000)
    [(_, request)] = hub.requests
    assert isinstance(request.body, p.Appeal)
    assert request.body.text == "路灯坏了"

    # The handler at the hub moves the work order on; the villager looks it up.
    receipt = hub.stored[request.id]
    hub.set_status("kiosk-bz-0001", receipt, "dispatched")
    tap(qtbot, w, "btnHome")
    tap(qtbot, w, "tile_lookup")
    k.lookup.setInput(code)  # the code field is bound to this model slot
    tap(qtbot, w, "btnQuery")
    qtbot.waitUntil(lambda: "已派给负责的部门" in str(item(w, "lookupResult").property("text")), timeout=5000)
    hub.set_status("kiosk-bz-0001", receipt, "resolved", "路灯已修好")
    qtbot.waitUntil(lambda: "路灯已修好" in str(item(w, "lookupResult").property("text")), timeout=5000)


def test_elder_mode_switch_changes_sizes_on_screen(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot
) -> None:
    k = make_kiosk()
    w = make_ui(k).window
    qtbot.wait(50)
    tile = item(w, "tile_guide")
    title = item(w, "title")
    before = (tile.height(), title.property("font").pixelSize(), item(w, "btnHelp").height())
    tap(qtbot, w, "btnElder")
    qtbot.waitUntil(lambda: item(w, "btnHelp").height() > before[2], timeout=2000)
    after = (tile.height(), title.property("font").pixelSize(), item(w, "btnHelp").height())
    assert after[1] > before[1]
    assert after[2] >= 96
    assert k.elder.on


def test_idle_reset_wipes_fields_screens_and_keyboard(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot
) -> None:
    k = make_kiosk(tick_ms=5, form_s=40, warning_s=20)
    w = make_ui(k).window
    open_appeal_text(qtbot, w, "roads")
    type_pinyin(qtbot, w, "wangdaye")
    pick(qtbot, w, "王")
    pick(qtbot, w, "大爷")
    qtbot.waitUntil(lambda: k.appeal.text == "王大爷", timeout=2000)
    qtbot.waitUntil(lambda: bool(item(w, "idleWarning").isVisible()), timeout=5000)
    qtbot.waitUntil(lambda: k.nav.screen == "home", timeout=5000)
    assert k.appeal.text == ""
    assert k.appeal.step == "category"
    assert not bool(item(w, "inputPanel").property("active"))
    assert item(w, "homeScreen").isVisible()
    texts = [str(i.property("text")) for i in _all_texts(w)]
    assert not any("王大爷" in t for t in texts)


def test_half_typed_pinyin_does_not_reach_the_next_villager(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot
) -> None:
    # The villager walks away while "shi" is still being composed. Leaving the screen used to
    # commit it (是) into the just-cleared appeal text, where the next villager found it.
    k = make_kiosk(tick_ms=5, form_s=40, warning_s=20)
    w = make_ui(k).window
    open_appeal_text(qtbot, w, "other")
    press_keys(qtbot, w, list("shi"))
    qtbot.waitUntil(lambda: "是" in candidates(w, 8), timeout=2000)
    qtbot.waitUntil(lambda: k.nav.screen == "home", timeout=5000)
    assert k.appeal.text == ""
    k.idle.extend()
    tap(qtbot, w, "tile_appeal")
    tap(qtbot, w, "cat_other")
    tap(qtbot, w, "village_bz-t01-v01")
    assert k.appeal.text == ""
    assert item(w, "appealText").property("text") == ""


def test_pinyin_learns_nothing_between_villagers(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot
) -> None:
    k = make_kiosk()
    w = make_ui(k).window
    for villager in range(2):
        open_appeal_text(qtbot, w, "other")
        type_pinyin(qtbot, w, "yangguihua")
        first = candidates(w, 1)
        if villager == 0:
            pick(qtbot, w, "杨")
            pick(qtbot, w, "桂花")
            qtbot.waitUntil(lambda: k.appeal.text == "杨桂花", timeout=2000)
        else:
            # Without the blocker the engine offers the first villager's name first (verified).
            assert first != ["杨桂花"]
        tap(qtbot, w, "btnFinish") if item(w, "btnFinish").isVisible() else k.session.finish()
        k.session.finish()


def test_help_button_calls_and_closes(make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot) -> None:
    k = make_kiosk()
    w = make_ui(k).window
    tap(qtbot, w, "btnHelp")
    qtbot.waitUntil(lambda: item(w, "helpOverlay").isVisible(), timeout=2000)
    assert "求助" in str(item(w, "helpMessage").property("text"))
    tap(qtbot, w, "btnHelpClose")
    qtbot.waitUntil(lambda: not item(w, "helpOverlay").isVisible(), timeout=2000)
    assert k.sync.outbox.depth() == 1


def _all_texts(w: object) -> list:  # type: ignore[type-arg]
    from kiosk.walk import items

    return [i for i in items(w) if i.metaObject().indexOfProperty("text") >= 0]  # type: ignore[arg-type]


def test_portrait_large_key_layout_types_pinyin_and_digits(
    make_kiosk: KioskFactory, make_ui: MakeUi, qtbot: QtBot
) -> None:
    k = make_kiosk()
    w = make_ui(k).window
    orient(w, "portrait")
    k.elder.setOn(True)
    open_appeal_text(qtbot, w, "water")
    a = key(w, "a")
    assert a.width() >= 150, "portrait elder keys are about 150 px square"
    assert a.height() >= 150
    press_keys(qtbot, w, list("shui"))
    qtbot.waitUntil(lambda: "水" in candidates(w, 8), timeout=5000)
    press_keys(qtbot, w, ["水", "符号"])
    qtbot.waitUntil(lambda: key(w, "1").isVisible(), timeout=5000)
    press_keys(qtbot, w, ["3", "拼音"])
    qtbot.waitUntil(lambda: k.appeal.text == "水3", timeout=5000)
    press_keys(qtbot, w, ["删除"])
    qtbot.waitUntil(lambda: k.appeal.text == "水", timeout=5000)
