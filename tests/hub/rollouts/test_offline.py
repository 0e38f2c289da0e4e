"""20 % of the fleet offline during a rollout: every device that returns catches up (issue 7).

20 kiosks, 4 of them offline at some point: two never connected when the rollout starts, one
drops at a random moment, and one canary drops in the middle of its own install (it switches
with nobody to see its BIRTH). They come back at random moments during and after the rollout.
Each must end on the new version, confirmed by its BIRTH, without failing or halting the
rollout. Real parts as in test_orchestrator.py; devsim's control file moves devices.
bench/rollout_offline.py measures the same at 300 devices.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from hub.rollouts.model import Status
from tests.hub.rollouts.conftest import READ, Hub, MakeHub

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow, pytest.mark.timeout(300)]

CANARY = "kiosk-0002"  # drops while its own job switches it
NEVER = ["kiosk-0004", "kiosk-0012"]  # offline before the rollout starts (waves 1 and 2)
DROPS = "kiosk-0015"  # drops at a random moment


async def until(hub: Hub, rollout: str, check: Callable[[], bool], timeout: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        roll = hub.orch.get(rollout)
        details = {h: d.detail for h, d in roll.devices.items()}
        assert loop.time() < deadline, (roll.state, roll.reason, details)
        await asyncio.sleep(0.1)


async def test_twenty_percent_offline_all_catch_up_when_they_return(make_hub: MakeHub) -> None:
    hub = await make_hub(20)
    fleet = hub.fleet
    control = fleet.base / "offline.txt"
    offline = set(NEVER)
    fleet.set_offline(control, offline)
    fleet.online(hub.broker, fleet.hosts, control=control)
    await hub.wait_online([h for h in fleet.hosts if h not in offline])
    fleet.flag(CANARY, "slow-selftest")  # a 4 s self-test: time to drop it mid-install
    rng = random.Random(2026)
    body = {"version": "2.0.0", "waves": ["2", "25%", "100%"], "soak_s": 0, "verify_timeout_s": 6}
    rid = (await hub.api("POST", "/api/v1/rollouts", body))["id"]
    rollout = hub.orch.get(rid)

    def go(hosts: set[str]) -> None:
        offline.clear()
        offline.update(hosts)
        fleet.set_offline(control, offline)

    # The canary leaves as soon as its job has it: the switch happens with nobody listening.
    await until(hub, rid, lambda: rollout.devices[CANARY].status is Status.RUNNING)
    go(offline | {CANARY})

    async def drop_and_return() -> None:
        await asyncio.sleep(rng.uniform(0, 8))
        go(offline | {DROPS})
        await asyncio.sleep(rng.uniform(2, 15))
        go(offline - {DROPS})

    async def come_back(host: str, after: float) -> None:
        await asyncio.sleep(after)
        go(offline - {host})

    mover = asyncio.gather(
        drop_and_return(), come_back(NEVER[0], rng.uniform(3, 20)), come_back(NEVER[1], rng.uniform(10, 25))
    )
    # Silent past verify_timeout_s while offline: deferred, not failed (no halt, no revert).
    await until(hub, rid, lambda: rollout.devices[CANARY].status is Status.DEFERRED)
    assert rollout.state.value == "running"
    await asyncio.sleep(rng.uniform(0, 5))
    go(offline - {CANARY})
    await mover
    final = await hub.wait(rid, lambda s: s["state"] != "running", timeout=150)
    caught_up = sum(fleet.current(h) == "2.0.0" for h in fleet.hosts)
    print(f"offline test: {caught_up} of {len(fleet.hosts)} on 2.0.0, counts {final['counts']}")
    assert final["state"] == "completed", final["reason"]
    assert final["counts"] == {"done": 20}
    assert caught_up == 20
    audit = await hub.api("GET", f"/api/v1/rollouts/{rid}/audit", headers=READ)
    canary = [a["detail"].get("status") for a in audit if a["host"] == CANARY and a["action"] == "device"]
    assert "deferred" in canary
    assert canary[-1] == "done"
    assert "failed" not in canary
