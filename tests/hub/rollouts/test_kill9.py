"""kill -9 of the controller: of a wave job's processes, and of the hub process itself, mid-rollout.

After every kill no device may have a broken ``current`` (it resolves to a complete release
with its REVISION), and resuming (the same hub carrying on, or a restarted hub) must end with
every device on the new version with no manual step, no leftover job process, and an audit
log that only grew. Real parts: Mosquitto, ansible-runner jobs running rollout.yml against
local-connection kiosks with the real device tool, devsim BIRTHs; the hub in this process
for the job kills (to see which job runs) and as a ``cunlink hub`` subprocess for the hub kills.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from pathlib import Path

import pytest

from hub.rollouts import orchestrator, orphans
from hub.rollouts.model import State
from tests.hub.rollouts.conftest import MakeHub
from tests.hub.rollouts.crash import (
    KILL_MODES,
    HubProcess,
    alive,
    audit_rows,
    broken,
    check_audit,
    descendants,
    kill_job,
)
from tests.hub.rollouts.simfleet import SimFleet
from tests.support.ports import free_port
from tests.support.services import Mosquitto

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow, pytest.mark.timeout(420)]

#: Kill points of the wave-job test (issue 7: at least 10).
JOB_KILLS = 10


def assert_sound(fleet: SimFleet, when: str) -> None:
    bad = {h: why for h in fleet.hosts if (why := broken(fleet.root(h))) is not None}
    assert not bad, (when, bad)


def assert_converged(fleet: SimFleet, version: str) -> None:
    assert_sound(fleet, "at the end")
    assert {h: fleet.current(h) for h in fleet.hosts} == dict.fromkeys(fleet.hosts, version)
    for host in fleet.hosts:
        assert not list((fleet.root(host) / "releases").glob(".tmp-*")), host


async def test_kill_9_of_wave_jobs_at_random_points_converges(
    make_hub: MakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A killed job's devices are retried with back-off; ten kills in a row would reach the
    # 300 s step. The rule is the same, the steps are short.
    monkeypatch.setattr(orchestrator, "BACKOFF_S", (0.5, 0.5, 1.0, 1.0))
    hub = await make_hub(3)
    fleet = hub.fleet
    fleet.online(hub.broker, fleet.hosts)
    await hub.wait_online(fleet.hosts)
    rng = random.Random(20261207)
    # Alternate between two versions: when a rollout completes before the tenth kill, the next
    # one goes back to the other version and the kills go on.
    versions = ["2.0.0", "1.0.0"]
    body = {"waves": ["1", "100%"], "soak_s": 0, "verify_timeout_s": 60}
    rollouts = [(await hub.api("POST", "/api/v1/rollouts", {"version": versions[0], **body}))["id"]]
    seen: set[int] = set()
    lengths: dict[str, list[float]] = {}
    landed: list[tuple[str, float, str, int]] = []
    before = audit_rows(hub.config.data_dir)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 330
    while len(landed) < JOB_KILLS:
        assert loop.time() < deadline, landed
        rollout = hub.orch.get(rollouts[-1])
        details = {h: d.detail for h, d in rollout.devices.items()}
        assert rollout.state in (State.RUNNING, State.COMPLETED), (rollout.reason, details, landed)
        if rollout.state is State.COMPLETED:
            assert_converged(fleet, rollout.spec.version)
            version = versions[len(rollouts) % 2]
            rollouts.append((await hub.api("POST", "/api/v1/rollouts", {"version": version, **body}))["id"])
            continue
        job = rollout.job
        if job is None or job.proc.pid in seen or job.proc.returncode is not None:
            await asyncio.sleep(0.05)
            continue
        seen.add(job.proc.pid)
        phase = job.run_dir.name.split("-", 2)[2]
        # Mostly install jobs; every fourth kill may hit the re-verification that follows one.
        target = phase == "all" or len(landed) % 4 == 3
        # Kill points spread over a job's whole life (runner start-up, Ansible, the device
        # tool, the last lines): its length is learnt from the first job of its phase, left
        # alone, and from the jobs that ended before their kill point.
        known = lengths.setdefault(phase, [])
        delay = rng.uniform(0.0, max(known)) if known and target else math.inf
        started = loop.time()
        while loop.time() - started < delay and rollout.job is job and job.proc.returncode is None:
            await asyncio.sleep(0.02)
        if rollout.job is not job or job.proc.returncode is not None:
            known.append(loop.time() - started)
            continue  # ended before the kill point: not a kill
        mode = KILL_MODES[len(landed) % len(KILL_MODES)]
        if mode == "ansible" and not descendants(job.proc.pid):
            continue  # Ansible has not started yet: nothing of that kind to kill
        killed = await asyncio.to_thread(kill_job, job.proc.pid, mode)
        if not killed:
            continue  # ended at the kill point
        landed.append((job.run_dir.name, round(delay, 2), mode, len(killed)))
        assert_sound(fleet, f"after kill {landed[-1]}")
    print("kill points (job, seconds after start, mode, processes killed):", *landed, sep="\n  ")
    assert {mode for _, _, mode, _ in landed} == set(KILL_MODES)
    final = await hub.wait(rollouts[-1], lambda s: s["state"] != "running", timeout=150)
    assert final["state"] == "completed", final
    version = final["spec"]["version"]
    assert final["counts"] == {"done": 3}
    assert_converged(fleet, version)
    # No job process or Ansible is left behind, not even of the jobs whose runner was killed.
    assert orphans.find(hub.config.data_dir / "rollout-jobs") == {}
    rows = check_audit(hub.config.data_dir, before)
    for rid in rollouts:
        actions = [r["action"] for r in rows if r["rollout"] == rid]
        assert actions.count("job-started") == actions.count("job-ended"), rid
        assert actions[0] == "created"
        assert actions[-1] == "completed"


# -- kill -9 of the hub process ------------------------------------------------------------------


async def wait_job(under: Path, timeout: float = 90) -> dict[int, int]:
    """The processes of a wave job, once one runs under ``under``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (found := await asyncio.to_thread(orphans.find, under)):
        assert loop.time() < deadline, "no wave job started"
        await asyncio.sleep(0.1)
    return found


async def test_kill_9_of_the_hub_mid_job_kills_the_orphan_and_converges(
    tmp_path: Path, signing: tuple[Path, Path, Path], mosquitto: Mosquitto
) -> None:
    _, public, dist = signing
    port = free_port()
    hosts = [f"kiosk-{i:04d}" for i in range(1, 5)]
    fleet = SimFleet(tmp_path / "fleet", hosts, dist, public, f"http://127.0.0.1:{port}/artifacts")
    await asyncio.to_thread(fleet.install, "1.0.0")
    for host in hosts[:2]:
        fleet.flag(host, "hang-selftest")  # the canaries' jobs outlive a killed hub for a while
    hub = HubProcess(tmp_path, fleet, dist, mosquitto, port)
    jobs_dir = hub.jobs_dir
    rng = random.Random(7)
    try:
        await asyncio.to_thread(hub.start)
        fleet.online(mosquitto, hosts)
        await asyncio.sleep(2)  # BIRTHs in; a device not yet seen would only be deferred
        body = {"version": "2.0.0", "waves": ["2", "100%"], "soak_s": 0, "verify_timeout_s": 60}
        rid = (await hub.api("POST", "/api/v1/rollouts", body))["id"]
        outcomes = []
        for _ in range(3):
            await wait_job(jobs_dir)
            await asyncio.sleep(rng.uniform(0.5, 4.0))
            hub.kill()
            leftovers = await asyncio.to_thread(orphans.find, jobs_dir)
            assert_sound(fleet, "after the hub was killed")
            before = audit_rows(hub.data_dir)
            # The job outlives its hub (a session of its own); left alone it would go on
            # switching devices that nobody tracks. The restarted hub must kill it first.
            # It serves only once the leftovers are dead.
            await asyncio.to_thread(hub.start)
            assert not [pid for pid in leftovers if alive(pid)], "the restarted hub left its old job running"
            outcomes.append(len(leftovers))
            rows = check_audit(hub.data_dir, before)
            assert any(r["action"] == "resumed" for r in rows[len(before) :])
            assert_sound(fleet, "after the restart")
        print("processes of the job left running by each killed hub:", outcomes)
        assert any(outcomes), "no kill landed while a job ran"
        for host in hosts[:2]:
            (fleet.root(host) / "shared" / "state" / "hang-selftest").unlink()
        final = await hub.wait(rid, "completed", timeout=200)
        assert final["counts"] == {"done": 4}
        assert_converged(fleet, "2.0.0")
        assert await asyncio.to_thread(orphans.find, jobs_dir) == {}
        rows = check_audit(hub.data_dir, [])
        mine = [r for r in rows if r["rollout"] == rid]
        assert [r["action"] for r in mine].count("resumed") == 3
        assert mine[0]["action"] == "created"
        assert mine[-1]["action"] == "completed"
        # The canary wave settled on its own devices' BIRTHs, not because a restarted hub had
        # not heard from them yet (they would have counted as offline: deferred, wave over).
        seqs = {(r["host"], json.loads(r["detail"]).get("status")): r["seq"] for r in mine}
        wave_1 = next(r["seq"] for r in mine if r["action"] == "wave-started")
        assert all(seqs.get((h, "done"), wave_1) < wave_1 for h in hosts[:2]), mine
    finally:
        hub.stop()
        fleet.close()
        await asyncio.to_thread(orphans.reap, jobs_dir)  # never leave a job behind a failed test
