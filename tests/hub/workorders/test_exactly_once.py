"""Acceptance: 1,000 appeals from simulated kiosks over a real Mosquitto, restarted in the middle,
make exactly 1,000 work orders; every kiosk gets its acknowledgements and later status changes,
including a kiosk that was offline when its order changed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from contract import payloads as p
from contract.topics import NodeKind
from hub import keys
from tests.hub.broker import eventually
from tests.hub.workorders.kit import live_kit, make_fleet
from tests.hub.workorders.simkiosk import SimKiosk
from tests.support.services import Mosquitto

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]

APPEALS = 1000
KIOSKS = 20
CATEGORIES = ("roads", "water", "power", "environment", "social", "medical", "land", "other")


async def table_count(kit: Any, table: str) -> int:
    return int(
        await kit.wo.store.read(lambda db: next(iter(db.query(f"SELECT COUNT(*) AS n FROM {table}")))["n"])
    )


async def test_thousand_appeals_across_a_broker_restart(tmp_path: Any, mosquitto: Mosquitto) -> None:
    # 126 villages in one county x 8 categories: 1,000 different matters, so no 附议 merges them.
    fleet = make_fleet(villages_per_township=63, extra_kiosks=KIOSKS)
    villages = [v.code for v in fleet.villages if v.township.startswith("bz-")]
    matters = [(c, v) for v in villages for c in CATEGORIES][:APPEALS]
    async with live_kit(tmp_path, mosquitto.host, mosquitto.port, fleet) as kit:
        await eventually(lambda: kit.app[keys.STATS].mqtt_connected, 10, "hub connected")
        kiosks = [SimKiosk(mosquitto.host, mosquitto.port, f"kiosk-sim-{n:03d}") for n in range(KIOSKS)]
        for k in kiosks:
            k.start()
        await eventually(lambda: all(k.connected.is_set() for k in kiosks), 10, "kiosks connected")
        filed: dict[str, list[str]] = {k.node: [] for k in kiosks}
        for i, (category, village) in enumerate(matters):
            kiosk = kiosks[i % KIOSKS]
            filed[kiosk.node].append(
                kiosk.file(p.Appeal(category=category, village=village, text=f"第{i}件事"))
            )
            if i == APPEALS // 2:
                await asyncio.to_thread(mosquitto.restart, 0.5)  # in the middle, messages in flight
            if i % 50 == 0:
                await asyncio.sleep(0.01)

        # The kiosks' outbox timers: re-send whatever is unanswered until everything is.
        deadline = time.monotonic() + 90
        while sum(k.unanswered() for k in kiosks) and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            for k in kiosks:
                k.flush()
        assert sum(k.unanswered() for k in kiosks) == 0
        await kit.wo.drained()

        assert await table_count(kit, "orders") == APPEALS
        assert await table_count(kit, "filings") == APPEALS
        assert await table_count(kit, "requests") == APPEALS
        receipts: set[str] = set()
        for k in kiosks:
            answers = [k.replies[rid] for rid in filed[k.node]]
            assert {a.status for a in answers} <= {"stored", "duplicate"}
            assert all(a.receipt for a in answers)
            receipts |= {a.receipt for a in answers if a.receipt}
        assert len(receipts) == APPEALS, "one receipt per appeal, the same one on a duplicate answer"
        assert kit.app[keys.STATS].mqtt_connects >= 2, "the hub reconnected after the restart"

        # Status changes: two kiosks online, one offline while its order changes.
        online, offline = kiosks[1:3], kiosks[0]
        changed = {k.node: k.replies[filed[k.node][0]].receipt for k in (*online, offline)}
        offline.stop()
        state = kit.app[keys.STATE]
        await eventually(lambda: not state.node_online(NodeKind.KIOSK, offline.node), 10, "hub saw the DEATH")
        for receipt in changed.values():
            for action, note in (("accept", ""), ("resolve", "已办结，请评价")):
                status, body = await kit.api(
                    "POST", f"/api/v1/workorders/{receipt}/actions", json={"action": action, "note": note}
                )
                assert status == 200, body
        for k in online:
            await eventually(
                lambda k=k: k.statuses.get(changed[k.node]) == ("resolved", "已办结，请评价"), 10
            )
        await asyncio.sleep(0.5)
        assert offline.statuses.get(changed[offline.node], ("",))[0] != "resolved"
        offline.start()
        await eventually(
            lambda: offline.statuses.get(changed[offline.node]) == ("resolved", "已办结，请评价"),
            15,
            "the offline kiosk caught up after its BIRTH",
        )
        for k in kiosks:
            k.stop()
