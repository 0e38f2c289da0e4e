"""Acceptance: a handler in headless Chromium signs in, accepts, replies to and resolves an order
that a villager filed at a real kiosk, and the kiosk's status lookup then shows the result.

Everything is real: Mosquitto (the ``mosquitto`` fixture), the hub as its own process
(``python -m hub``), the kiosk's models and services (kiosk.core, offscreen Qt, no window),
and Debian's chromium driven by Debian's chromedriver through selenium.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

import pytest
import yaml
from pytestqt.qtbot import QtBot
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from contract.fleet import dump_fleet
from kiosk.core import Kiosk
from kiosk.services.tts import RecordingSpeaker
from kiosk.walk import demo_config
from tests.hub.workorders.kit import ADMIN_TOKEN, make_fleet
from tests.support.ports import free_port, wait_tcp
from tests.support.services import Mosquitto, Process, need

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@pytest.fixture
def hub_url(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[str]:
    """The hub as a process, as it runs in production, with one handler account."""
    dump_fleet(make_fleet(), tmp_path / "fleet.yaml")
    port = free_port()
    config = {
        "fleet": str(tmp_path / "fleet.yaml"),
        "data_dir": str(tmp_path / "hub-data"),
        "mqtt": {"host": mosquitto.host, "port": mosquitto.port, "reconnect_min_delay": 1},
        "http": {"host": "127.0.0.1", "port": port},
        "api": {"tokens": [{"name": "city-it", "token": ADMIN_TOKEN, "role": "admin"}]},
    }
    (tmp_path / "hub.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    hub = Process([sys.executable, "-m", "hub", "--config", str(tmp_path / "hub.yaml")], tmp_path / "hub.log")
    hub.start()
    try:
        wait_tcp("127.0.0.1", port, timeout=20)
        url = f"http://127.0.0.1:{port}"
        account = {"username": "li", "name": "李电工", "department": "power", "password": "路灯要亮起来 2026"}
        request = urllib.request.Request(
            f"{url}/api/v1/staff",
            data=json.dumps(account).encode(),
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200
        yield url
    finally:
        hub.stop()
        assert "Traceback" not in hub.output(), hub.output()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = need("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="cunlink-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=need("chromedriver")), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def kiosk(tmp_path: Path, mosquitto: Mosquitto, qapp: object) -> Iterator[Kiosk]:
    """The real kiosk core (models, outbox, MQTT adapter) for 兴隆村, without a window."""
    cfg = demo_config(tmp_path / "kiosk", host=mosquitto.host, port=mosquitto.port)
    k = Kiosk(cfg, speaker=RecordingSpeaker(), online=True)
    k.start()
    yield k
    k.stop()


def file_appeal(k: Kiosk) -> str:
    """A villager files an appeal on the kiosk screens (the slots the QML calls)."""
    k.nav.go("appeal")
    k.appeal.chooseCategory("power")
    k.appeal.chooseVillage("bz-t01-v01")
    k.appeal.setText("村口的路灯坏了三天了")
    k.appeal.toPhone()
    k.appeal.skipPhone()
    k.appeal.submit()
    return str(k.receipt.code).replace(" ", "")


def act(driver: WebDriver, action: str, note: str = "") -> None:
    form = driver.find_element(By.ID, f"act-{action}")
    if note:
        form.find_element(By.NAME, "note").send_keys(note)
    # The page before this action may already show "done" (from the action before): mark
    # this document and wait for a new one, or the next read races the POST. (Chromium's
    # staleness check can fail with "Node ... does not belong to the document" instead.)
    driver.execute_script("window.cunlinkOldPage = true")
    form.find_element(By.ID, f"submit-{action}").click()
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return window.cunlinkOldPage") is None)
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "done")))


def test_handler_resolves_in_chromium_and_the_kiosk_lookup_shows_it(
    hub_url: str, browser: WebDriver, kiosk: Kiosk, qtbot: QtBot
) -> None:
    qtbot.waitUntil(lambda: kiosk.sync.online, timeout=20_000)
    code = file_appeal(kiosk)
    qtbot.waitUntil(lambda: kiosk.sync.outbox.depth() == 0, timeout=20_000)
    local = kiosk.sync.receipts.find(code)
    assert local is not None
    assert local.hub_receipt is not None, "the hub's Reply carried the work order's receipt"
    receipt = local.hub_receipt
    kiosk.session.finish()

    # The handler's day, in a real browser.
    browser.get(f"{hub_url}/console/")
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "login")))
    browser.find_element(By.ID, "username").send_keys("li")
    browser.find_element(By.ID, "password").send_keys("路灯要亮起来 2026")
    browser.find_element(By.ID, "login").click()
    link = WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, f"order-{receipt}")))
    assert "国网巴中供电公司" in browser.find_element(By.TAG_NAME, "h1").text
    link.click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "receipt")))
    assert browser.find_element(By.ID, "text").text == "村口的路灯坏了三天了"
    assert "个工作日" in browser.find_element(By.ID, "deadline").text
    act(browser, "accept")
    assert browser.find_element(By.ID, "state").get_attribute("data-state") == "accepted"
    act(browser, "reply", "电工明天上午到村口检修")
    assert browser.find_element(By.ID, "state").get_attribute("data-state") == "in_progress"
    act(browser, "resolve", "路灯已修好，请您评价")
    assert browser.find_element(By.ID, "state").get_attribute("data-state") == "resolved"
    history = browser.find_element(By.ID, "history").text
    assert "staff:li" in history
    assert "路灯已修好" in history

    # The kiosk heard the push, and the villager's lookup by the code on the paper receipt shows it.
    qtbot.waitUntil(lambda: (kiosk.sync.receipts.find(code) or local).status == "resolved", timeout=20_000)
    kiosk.nav.go("lookup")
    kiosk.lookup.setInput(code)
    kiosk.lookup.query()
    qtbot.waitUntil(lambda: kiosk.lookup.status == "resolved" and not kiosk.lookup.busy, timeout=20_000)
    assert kiosk.lookup.result.startswith("已办结。路灯已修好，请您评价")
