"""The demo's help desk: its hub config validates, and its stand-in SMS gateway shows notices once."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from cunlink import demo, demo_notify
from hub.config import load
from tests.support.ports import free_port

NOTICE = {
    "kind": "helpcall",
    "to": {"name": "王书记", "phone": "13800000001", "level": "village"},
    "text": "【村联求助】东店社区服务站有村民一键求助（09:30），请尽快到场。",
}


def test_demo_hub_config_loads_with_the_example_roster(tmp_path: Path) -> None:
    token = tmp_path / "admin-token"
    token.write_text("x" * 40, encoding="utf-8")
    roster = Path(demo.__file__).resolve().parents[1] / "hub/helpcalls/roster.example.yaml"
    conf = tmp_path / "hub.yaml"
    conf.write_text(demo.hub_config(roster, token, "http://127.0.0.1:9/notify"), encoding="utf-8")
    config = load(conf)
    assert config.helpcalls.roster == roster
    assert str(config.helpcalls.webhook_url) == "http://127.0.0.1:9/notify"
    assert [(t.name, t.role) for t in config.api.tokens] == [("demo-admin", "admin")]


async def test_gateway_shows_each_notice_once_and_refuses_what_is_not_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "notices.jsonl"
    runner = web.AppRunner(demo_notify.make_app(log))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}/notify"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(2):  # the hub retries with the same key
                async with session.post(url, json=NOTICE, headers={"Idempotency-Key": "n1"}) as answer:
                    assert answer.status == 200
            async with session.post(url, json={"to": "nobody"}) as answer:
                assert answer.status == 400
                assert "not a help-call notice" in (await answer.json())["error"]
    finally:
        await runner.cleanup()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(n["key"], n["to"]["name"]) for n in lines] == [("n1", "王书记")]
    assert capsys.readouterr().out.count("SMS to 王书记 (13800000001)") == 1
