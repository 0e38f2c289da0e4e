"""What a restarted hub does before any job runs, without Ansible: leftovers, job numbers, presence.

The end-to-end kill tests (test_kill9.py) hit these only when a kill lands at the right
moment; here each is set up on purpose: a dead hub's leftover job processes, its used run
directories, and devices the restart has not heard from yet.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from hub.rollouts.model import RolloutSpec, State, Status
from hub.rollouts.orchestrator import Orchestrator
from hub.rollouts.presence import Presence
from hub.rollouts.records import Device, Ledger, Rollout
from hub.rollouts.schema import migrations
from hub.rollouts.settings import RolloutsConfig
from hub.snapshot import Transition
from hub.store import Store
from tests.hub.rollouts.crash import alive, audit_rows


def leftover(run_dir: Path, *, via: str) -> subprocess.Popen[bytes]:
    """A process a dead hub left behind, recognisable as a wave job's as ``via`` says."""
    (run_dir / "env").mkdir(parents=True)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    if via == "cmdline":  # as ansible-playbook: -e @<run_dir>/env/extravars
        # Python keeps its argv (a shell may exec `sleep` and drop the marker).
        proc = subprocess.Popen([*sleeper, f"@{run_dir}/env/extravars"], start_new_session=True)
    else:
        with (run_dir / "job.log").open("ab") as log:  # as the job process: stderr on job.log
            proc = subprocess.Popen([*sleeper, "-m", "hub.rollouts.job"], stderr=log, start_new_session=True)
    # Until the child has exec'd, /proc shows the parent's command line: wait for ours.
    deadline = time.monotonic() + 10
    while sleeper[2].encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the leftover process did not start"
        time.sleep(0.01)
    return proc


def bystander(run_dir: Path) -> subprocess.Popen[bytes]:
    """An operator reading a job's log: it names the run directory, but is no job."""
    return subprocess.Popen(["tail", "-f", str(run_dir / "job.log")], start_new_session=True)


async def test_a_restarted_hub_kills_leftovers_numbers_on_and_waits_for_rebirths(tmp_path: Path) -> None:
    store = Store(tmp_path / "rollouts.sqlite", migrations)
    await store.open()
    ledger = Ledger(store, time.time)
    now = time.time()
    spec = RolloutSpec(version="2.0.0", waves=["1", "100%"], soak_s=0)
    rollout = Rollout(
        id="r1",
        spec=spec,
        state=State.RUNNING,
        reason="",
        wave=0,
        wave_settled=None,
        created=now,
        created_by="ops",
        updated=now,
        devices={
            "k1": Device(wave=0, status=Status.PENDING, detail="", updated=now),
            "k2": Device(wave=1, status=Status.PENDING, detail="", updated=now),
        },
    )
    await ledger.insert(rollout)
    work = tmp_path / "rollout-jobs"
    procs = [
        leftover(work / "r1" / "job-0002-all", via="cmdline"),
        leftover(work / "r1" / "job-0003-verify", via="stderr"),
    ]
    # The fleet state restored k1 and k2 as online before the crash: unknown until re-born.
    restored = {"k1", "k2"}
    presence = Presence(restored=lambda: restored)
    orch = Orchestrator(
        config=RolloutsConfig(enabled=True, inventory=tmp_path / "hosts.yml"),
        ledger=ledger,
        presence=presence,
        work_dir=work,
        clock=time.time,
        artifacts_dir=tmp_path,
    )
    reader = bystander(work / "r1" / "job-0003-verify")
    try:
        await orch.start()
        assert not [p.pid for p in procs if alive(p.pid)], "leftover wave jobs survived the restart"
        assert alive(reader.pid), "the restart killed a process that was no wave job"
        loaded = orch.get("r1")
        assert loaded.jobs == 3  # the next job is job-0004: no run directory is reused
        await asyncio.sleep(2.5)  # a few steps
        # Not heard from yet is not offline: nothing deferred, the canary wave not settled.
        assert loaded.wave == 0
        assert {h: d.status for h, d in loaded.devices.items()} == {"k1": "pending", "k2": "pending"}
        # The restore grace ends without a BIRTH: the fleet state says offline. Now deferred,
        # and the wave (nothing open) settles and the next one starts.
        restored.clear()
        for node in ("k1", "k2"):
            presence.transition(
                Transition(time.time(), "node", node, "kiosk", node, "offline", "unknown", "restore grace")
            )
        deadline = time.monotonic() + 10
        while loaded.wave == 0 or loaded.devices["k2"].status is not Status.DEFERRED:
            assert time.monotonic() < deadline, (loaded.wave, loaded.devices)
            await asyncio.sleep(0.1)
        assert loaded.devices["k1"].status is Status.DEFERRED
        await orch.stop()
        actions = [r["action"] for r in audit_rows(tmp_path)]
        assert actions[:2] == ["resumed", "device"]
        assert "wave-started" in actions
    finally:
        for proc in [*procs, reader]:
            proc.kill()
            proc.wait()
        await store.close()


async def test_a_revert_cut_short_by_the_crash_is_run_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "rollouts.sqlite", migrations)
    await store.open()
    ledger = Ledger(store, time.time)
    now = time.time()
    rollout = Rollout(
        id="r2",
        spec=RolloutSpec(version="2.0.0", waves=["2", "100%"]),
        state=State.HALTED,
        reason="failure threshold crossed",
        wave=0,
        wave_settled=None,
        created=now,
        created_by="ops",
        updated=now,
        devices={
            "k1": Device(wave=0, status=Status.RUNNING, detail="rollback job", updated=now),
            "k2": Device(wave=0, status=Status.FAILED, detail="", updated=now),
            "k3": Device(wave=1, status=Status.PENDING, detail="", updated=now),
        },
    )
    await ledger.insert(rollout)
    restored = {"k1", "k2", "k3"}
    presence = Presence(restored=lambda: restored)
    orch = Orchestrator(
        config=RolloutsConfig(enabled=True, inventory=tmp_path / "hosts.yml"),
        ledger=ledger,
        presence=presence,
        work_dir=tmp_path / "rollout-jobs",
        clock=time.time,
        artifacts_dir=tmp_path,
    )
    try:
        await orch.start()
        await asyncio.sleep(1.5)
        assert audit_rows(tmp_path) == []  # halted: not resumed; its revert waits for k1's state
        restored.clear()
        presence.transition(
            Transition(time.time(), "node", "k1", "kiosk", "k1", "offline", "unknown", "restore grace")
        )
        deadline = time.monotonic() + 5
        while not (rows := audit_rows(tmp_path)):
            assert time.monotonic() < deadline, "the cut revert was not run again"
            await asyncio.sleep(0.1)
        assert [(r["action"], r["detail"]) for r in rows] == [("revert-wave", '{"wave": 0, "hosts": ["k1"]}')]
    finally:
        await orch.stop()
        await store.close()
