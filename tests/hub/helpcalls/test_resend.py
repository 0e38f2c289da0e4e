"""A kiosk that was offline still learns what happened to its help call: a re-sent HelpCall
gets the cadre's name again, and the latest help_status goes out after its next BIRTH."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from aiohttp.test_utils import TestClient, TestServer

from contract import codec
from contract import payloads as p
from contract.topics import Verb
from hub.app import create_app
from hub.config import HubConfig
from hub.helpcalls.service import HELPCALLS
from tests.hub.helpcalls.conftest import HelpKit, Webhook, config, desk
from tests.hub.helpcalls.test_helpcalls import NODE, help_status
from tests.hub.workorders.simkiosk import SimKiosk
from tests.support.services import Mosquitto

ALWAYS = """\
villages:
  bz-t01-v01:
    duty:
      - {name: 王书记, phone: "13800000001", hours: ["daily 00:00-24:00"]}
"""


async def test_a_resent_call_gets_the_cadres_name_again(help_kit: HelpKit) -> None:
    async with help_kit(None) as kit:
        kiosk = kit.kiosk()
        body = p.HelpCall(village="bz-t01-v01", reason="kiosk")
        first = await kiosk.ask(body)
        again = await kiosk.ask(body, rid=first.id)
        assert (first.status, again.status) == ("stored", "duplicate")
        assert again.result == first.result == {"helpcall": 1, "duty": "village", "name": "王书记"}
        assert again.detail == first.detail
        calls = await kit.wo.store.read(lambda db: db.execute("SELECT COUNT(*) FROM helpcalls").fetchone())
        assert calls[0] == 1, "the re-send is answered, not stored twice"

        night = kit.kiosk("kiosk-bz-0002")
        kit.clock.advance(2 * 86400 + 13 * 3600)  # Wednesday 22:00: nobody on duty in 兴隆村
        nobody = await kiosk.ask(body)
        assert (await kiosk.ask(body, rid=nobody.id)).result == {
            "helpcall": 2,
            "duty": "none",
            "phone": "0827-5261001",
        }
        appeal = p.Appeal(category="roads", village="bz-t01-v02", text="路灯坏了")
        stored = await night.ask(appeal)
        assert (await night.ask(appeal, rid=stored.id)).result == {}, "other kinds are answered as before"


async def test_statuses_missed_while_offline_go_out_after_the_birth(
    help_kit: HelpKit, webhook: Webhook
) -> None:
    async with help_kit(webhook.url, status_resend_minutes=30) as kit:
        kiosk, other = kit.kiosk(), kit.kiosk("kiosk-bz-0002")
        kiosk.birth()
        other.birth()
        old = (await kiosk.ask(p.HelpCall(village="bz-t01-v01"))).id
        await desk(kit).step()
        kit.clock.advance(31 * 60)
        closed = (await kiosk.ask(p.HelpCall(village="bz-t01-v01"))).id
        rid = (await kiosk.ask(p.HelpCall(village="bz-t01-v01"))).id
        kiosk.death()
        await desk(kit).step()  # both new calls' notices delivered while the kiosk is away
        await desk(kit).act(3, "acknowledge", "staff:li", coming="村医刘大夫")
        await desk(kit).act(2, "close", "staff:li")
        assert [s["id"] for s in help_status(kit)] == [old], "nothing reaches an offline kiosk"

        kiosk.birth()
        await desk(kit).step()
        assert help_status(kit)[1:] == [{"id": rid, "status": "acknowledged", "name": "村医刘大夫"}], (
            "only the latest status of open calls of the last 30 minutes"
        )
        assert closed not in [s["id"] for s in help_status(kit)]
        assert help_status(kit, "kiosk-bz-0002") == []
        await desk(kit).step()
        assert len(help_status(kit)) == 2, "sent once per BIRTH"

        await desk(kit).act(3, "arrive", "staff:li")  # online again: straight away, as before
        assert help_status(kit)[-1] == {"id": rid, "status": "arrived", "name": "村医刘大夫"}, (
            "who arrives is who was named at 确认"
        )


@dataclass
class HelpKiosk(SimKiosk):
    """The simulated kiosk, also keeping the help_status commands it hears."""

    help: list[dict[str, Any]] = field(default_factory=list)

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        super()._on_message(client, userdata, msg)
        if msg.topic == self._topic[Verb.CMD]:
            cmd = codec.decode_as(bytes(msg.payload), p.Command)
            if cmd.command == "help_status":
                with self._lock:
                    self.help.append(dict(cmd.args))


async def until(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.mark.mosquitto
async def test_over_a_real_broker_the_kiosk_back_online_hears_its_cadre(
    tmp_path: Path, mosquitto: Mosquitto, webhook: Webhook
) -> None:
    base = config(tmp_path, webhook.url)
    # The hub runs on the wall clock here: a cadre on duty round the clock.
    (tmp_path / "roster.yaml").write_text(ALWAYS, encoding="utf-8")
    mqtt = {
        "host": mosquitto.host,
        "port": mosquitto.port,
        "reconnect_min_delay": 1,
        "reconnect_max_delay": 2,
    }
    app = create_app(HubConfig.model_validate({**base.model_dump(), "mqtt": mqtt}))
    kiosk = HelpKiosk(mosquitto.host, mosquitto.port, NODE)
    async with TestClient(TestServer(app)):
        helpdesk = app[HELPCALLS]
        kiosk.start()
        try:
            await until(kiosk.connected.is_set, "the kiosk to connect")
            rid = kiosk.file(p.HelpCall(village="bz-t01-v01"))
            await until(lambda: rid in kiosk.replies, "the Reply")
            assert kiosk.replies[rid].result == {"helpcall": 1, "duty": "village", "name": "王书记"}
            await until(lambda: bool(kiosk.help), "the notified status")
            kiosk.stop()
            await until(lambda: not helpdesk._node_online(NODE), "the hub to see the kiosk gone")
            await helpdesk.act(1, "acknowledge", "staff:li")
            kiosk.start()
            await until(kiosk.connected.is_set, "the kiosk to reconnect")
            kiosk.file_as(rid, p.HelpCall(village="bz-t01-v01"))  # as if its Reply had been lost
            await until(lambda: kiosk.replies[rid].status == "duplicate", "the duplicate Reply")
            assert kiosk.replies[rid].result == {"helpcall": 1, "duty": "village", "name": "王书记"}
            await until(lambda: len(kiosk.help) == 2, "the re-sent help_status")
            assert kiosk.help == [
                {"id": rid, "status": "notified", "name": "王书记"},
                {"id": rid, "status": "acknowledged", "name": "王书记"},
            ]
        finally:
            kiosk.stop()
