"""The orchestrator end to end: real ansible-runner jobs running rollout.yml/rollback.yml against
local-connection kiosks (the real device tool in each install root), artifacts served by the
hub itself with Range, and devices that confirm versions by BIRTH over a real Mosquitto.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from hub.rollouts import cli
from tests.hub.rollouts.conftest import ADMIN, READ, MakeHub

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow, pytest.mark.timeout(300)]


def spec(**kw: Any) -> dict[str, Any]:
    return {"version": "2.0.0", "soak_s": 0, "verify_timeout_s": 60, **kw}


def statuses(status: dict[str, Any]) -> dict[str, str]:
    return {d["host"]: d["status"] for d in status["devices"]}


def untouched(root: Path, version: str) -> bool:
    """Nothing of ``version`` reached this device: not staged, not unpacked, not current."""
    return (
        os.readlink(root / "current") == "releases/1.0.0"
        and not (root / "releases" / version).exists()
        and not list((root / "staging").glob(f"*{version}*"))
    )


async def test_canary_failure_halts_and_rolls_back_touching_nothing_else(make_hub: MakeHub) -> None:
    hub = await make_hub(8)
    fleet = hub.fleet
    fleet.flag("kiosk-0002")
    fleet.online(hub.broker, fleet.hosts)
    await hub.wait_online(fleet.hosts)
    created = await hub.api("POST", "/api/v1/rollouts", spec(waves=["2", "50%", "100%"]))
    final = await hub.wait_reverted(created["id"])
    got = statuses(final)
    assert got["kiosk-0002"] == "failed"
    assert got["kiosk-0001"] == "reverted", final
    assert "failure threshold" in final["reason"]
    assert fleet.current("kiosk-0002") == "1.0.0"
    assert fleet.current("kiosk-0001") == "1.0.0"
    for host in fleet.hosts[2:]:
        assert got[host] == "pending"
        assert untouched(fleet.root(host), "2.0.0"), host
    audit = await hub.api("GET", f"/api/v1/rollouts/{created['id']}/audit", headers=READ)
    actions = [a["action"] for a in audit]
    assert actions[0] == "created"
    assert "halted" in actions
    assert "revert-wave" in actions
    failed_at = next(
        a["ts"] for a in audit if a["host"] == "kiosk-0002" and a["detail"].get("status") == "failed"
    )
    halted_at = next(a["ts"] for a in audit if a["action"] == "halted")
    assert 0 <= halted_at - failed_at <= 10  # issue 7: halt within 10 s of the canary's failure


def settled(status: dict[str, Any]) -> bool:
    return not any(d["status"] in ("running", "switched", "verifying") for d in status["devices"])


async def test_threshold_counts_failures_across_waves(make_hub: MakeHub) -> None:
    hub = await make_hub(8)
    fleet = hub.fleet
    # One failure per wave: each wave alone is within max_failures=1, the rollout is not.
    fleet.flag("kiosk-0002")
    fleet.flag("kiosk-0005")
    fleet.online(hub.broker, fleet.hosts)
    await hub.wait_online(fleet.hosts)
    created = await hub.api(
        "POST", "/api/v1/rollouts", spec(waves=["2", "3", "100%"], max_failures=1, success_percent=0)
    )
    final = await hub.wait_reverted(created["id"])
    got = statuses(final)
    assert final["wave"] == 1, final["reason"]
    assert got["kiosk-0001"] == "done"  # an earlier wave is not reverted by a later halt
    assert fleet.current("kiosk-0001") == "2.0.0"
    assert (got["kiosk-0002"], got["kiosk-0005"]) == ("failed", "failed")
    assert {got[h] for h in ("kiosk-0003", "kiosk-0004")} <= {"reverted", "pending"}
    for host in ("kiosk-0002", "kiosk-0003", "kiosk-0004", "kiosk-0005"):
        assert fleet.current(host) == "1.0.0", host
    for host in fleet.hosts[5:]:
        assert untouched(fleet.root(host), "2.0.0"), host


async def test_offline_devices_are_deferred_then_catch_up(
    make_hub: MakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = await make_hub(6)
    fleet = hub.fleet
    fleet.online(hub.broker, fleet.hosts[:4])
    await hub.wait_online(fleet.hosts[:4])
    created = await hub.api("POST", "/api/v1/rollouts", spec(waves=["2", "100%"]))
    # The operator's view: `cunlink rollout status --follow` until the rollout completes.
    url = f"http://127.0.0.1:{hub.port}"
    argv = ["--url", url, "--token", "read-token", "status", created["id"], "--follow"]
    follow = asyncio.create_task(asyncio.to_thread(cli.main, argv))
    # The last wave settles with the two offline devices deferred, not failed: still running.
    waiting = await hub.wait(created["id"], lambda s: s["counts"].get("done") == 4 and settled(s))
    assert waiting["state"] == "running"
    assert waiting["counts"] == {"done": 4, "deferred": 2}
    assert all(untouched(fleet.root(h), "2.0.0") for h in fleet.hosts[4:])
    fleet.online(hub.broker, fleet.hosts[4:])
    final = await hub.wait(created["id"], lambda s: s["state"] == "completed")
    assert final["counts"] == {"done": 6}
    assert {fleet.current(h) for h in fleet.hosts} == {"2.0.0"}
    assert await asyncio.wait_for(follow, 30) == 0
    frames = capsys.readouterr().out.split("rollout ")
    assert any("deferred 2" in f for f in frames)
    assert "completed" in frames[-1]
    assert "kiosk-0006" in frames[-1]
    assert "[####################] ✔ done" in frames[-1]


async def test_hub_restart_mid_rollout_resumes_and_reverifies(make_hub: MakeHub) -> None:
    hub = await make_hub(6)
    fleet = hub.fleet
    for host in fleet.hosts[:3]:
        fleet.flag(host, "slow-selftest")  # keeps the first job busy while the hub goes down
    fleet.online(hub.broker, fleet.hosts)
    await hub.wait_online(fleet.hosts)
    created = await hub.api("POST", "/api/v1/rollouts", spec(waves=["3", "100%"]))
    # All three canaries inside their slow self-test: each is left switched but unverified.
    await hub.wait(created["id"], lambda s: s["counts"].get("running", 0) == 3, timeout=90)
    await hub.stop()
    await hub.start()
    final = await hub.wait(created["id"], lambda s: s["state"] == "completed")
    assert final["counts"] == {"done": 6}
    assert {fleet.current(h) for h in fleet.hosts} == {"2.0.0"}
    audit = await hub.api("GET", f"/api/v1/rollouts/{created['id']}/audit", headers=READ)
    resumed = [a for a in audit if a["action"] == "resumed" and a["actor"] == "hub"]
    assert resumed
    assert resumed[0]["detail"]["reverify"] == 3


def _kill_installer(root: Path) -> bool:
    """SIGKILL the device tool working on ``root`` (the on-device installer), if it runs."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            argv = (Path("/proc") / pid / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            any(a.endswith(b"cunlink_release.py") for a in argv)
            and str(root).encode() in argv
            and b"activate" in argv
        ):
            os.kill(int(pid), signal.SIGKILL)
            return True
    return False


async def test_kill_9_of_the_installer_is_reverified_and_converges(make_hub: MakeHub) -> None:
    hub = await make_hub(3)
    fleet = hub.fleet
    slow = fleet.flag("kiosk-0001", "slow-selftest")
    fleet.online(hub.broker, fleet.hosts)
    await hub.wait_online(fleet.hosts)
    created = await hub.api("POST", "/api/v1/rollouts", spec(waves=["100%"]))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 90
    while not _kill_installer(fleet.root("kiosk-0001")):
        assert loop.time() < deadline, "the installer never ran"
        await asyncio.sleep(0.05)
    slow.unlink()
    final = await hub.wait(created["id"], lambda s: s["state"] == "completed")
    assert final["counts"] == {"done": 3}
    for host in fleet.hosts:
        root = fleet.root(host)
        assert fleet.current(host) == "2.0.0"
        assert (root / "current" / "REVISION").is_file()
        assert not list((root / "releases").glob(".tmp-*"))
    audit = await hub.api("GET", f"/api/v1/rollouts/{created['id']}/audit", headers=READ)
    assert any("killed by signal" in str(a["detail"]) for a in audit)


async def test_corrupted_artifact_is_refused_and_unsigned_is_not_offered(
    make_hub: MakeHub, signing: tuple[Path, Path, Path]
) -> None:
    hub = await make_hub(4)
    fleet = hub.fleet
    dist = signing[2]
    tarball = dist / "cunlink-3.0.0.tar.gz"
    data = bytearray(tarball.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tarball.write_bytes(bytes(data))
    fleet.online(hub.broker, fleet.hosts)
    await hub.wait_online(fleet.hosts)
    created = await hub.api("POST", "/api/v1/rollouts", spec(version="3.0.0", waves=["1", "100%"]))
    final = await hub.wait_reverted(created["id"])
    got = statuses(final)
    assert got["kiosk-0001"] == "failed"
    detail = final["devices"][0]["detail"]
    assert "refused" in detail, detail
    assert all(untouched(fleet.root(h), "3.0.0") for h in fleet.hosts)
    # Unsigned: the hub will not even start a rollout of it.
    (dist / "cunlink-4.0.0.manifest.json").write_text("{}")
    (dist / "cunlink-4.0.0.tar.gz").write_bytes(b"x")
    assert hub.client is not None
    resp = await hub.client.post("/api/v1/rollouts", json=spec(version="4.0.0"), headers=ADMIN)
    assert resp.status == 409
    assert ".sig" in (await resp.json())["error"]["message"]
    resp = await hub.client.post("/api/v1/rollouts", json=spec(), headers=READ)
    assert resp.status == 403
