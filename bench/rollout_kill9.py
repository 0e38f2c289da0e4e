"""kill -9 of the controller at random moments of rollouts; count broken devices, check convergence.

    python bench/rollout_kill9.py [--devices 20] [--runs 10] [--hub-runs 5] [--seed 1]

Issue 7: "across >= 10 kill -9 runs of the controller ..., 0 devices with a broken `current`,
and a re-run converges with no manual step". The hub runs as a real ``cunlink hub`` process
(orchestrator, MQTT, artifact route) with Mosquitto, ansible-runner wave jobs against
``ansible_connection=local`` kiosks with the real device tool, and devsim BIRTHs. Each run
waits for a wave job, then at a random moment of its life SIGKILLs either the job (in turn:
the job process and Ansible's group, Ansible's group only, the runner process only) or the hub
process itself (restarted at once). After every kill each device's ``current`` must resolve
to a complete release (REVISION, files); a run counts as a kill only when a job was running.
Rollouts alternate between 2.0.0 and 1.0.0 until all kills are done; at the end the last one
must complete with every device on its version, no job process left, and an audit log that
only grew. Prints kills, broken device-states, the end state, wall time and load average.
The pytest versions (tests/hub/rollouts/test_kill9.py) are the small, fast cases.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.rollouts import orphans  # noqa: E402
from tests.hub.rollouts.crash import (  # noqa: E402
    KILL_MODES,
    HubProcess,
    alive,
    audit_rows,
    broken,
    check_audit,
    kill_job,
)
from tests.hub.rollouts.simfleet import bench_world  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

READ = {"Authorization": "Bearer read-token"}


def job_process(found: dict[int, int]) -> int | None:
    """The wave job process (``python -m hub.rollouts.job``) among a job's processes."""
    for pid in found:
        try:
            if b"hub.rollouts.job" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


async def state(hub: HubProcess, rollout: str) -> str:
    status = await hub.api("GET", f"/api/v1/rollouts/{rollout}", headers=READ)
    return str(status["state"])


async def bench(base: Path, args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    port = free_port()
    fleet, broker, dist = bench_world(base, args.devices, port)
    hosts = fleet.hosts
    fleet.install("1.0.0")
    hub = HubProcess(base, fleet, dist, broker, port)
    kinds = [*[KILL_MODES[i % len(KILL_MODES)] for i in range(args.runs)], *["hub"] * args.hub_runs]
    rng.shuffle(kinds)
    kills: list[str] = []
    broken_states = 0
    lengths: list[float] = []
    rollouts: list[str] = []
    try:
        await asyncio.to_thread(hub.start)
        fleet.online(broker, hosts, group="all")
        await asyncio.sleep(3)
        before = audit_rows(hub.data_dir)
        wall0 = time.perf_counter()
        body = {"waves": args.waves.split(","), "soak_s": 0, "verify_timeout_s": 120}
        versions = ["2.0.0", "1.0.0"]
        in_rollout = 0
        while kinds:
            if in_rollout >= 2:
                # Devices of a job killed again and again are retried after 5, 15, 60, 300 s:
                # two kills per rollout keep the benchmark short; the next rollout goes back.
                await hub.wait(rollouts[-1], "completed", timeout=args.timeout)
            if not rollouts or await state(hub, rollouts[-1]) != "running":
                version = versions[len(rollouts) % 2]
                created = await hub.api("POST", "/api/v1/rollouts", {"version": version, **body})
                rollouts.append(created["id"])
                in_rollout = 0
            found = await asyncio.to_thread(orphans.find, hub.jobs_dir)
            job = job_process(found)
            if job is None:
                await asyncio.sleep(0.05)
                continue
            # Spread over a whole job's life: learnt from the first job (left alone) and misses.
            delay, started = rng.uniform(0.0, max(lengths)) if lengths else math.inf, time.perf_counter()
            while time.perf_counter() - started < delay and alive(job):
                await asyncio.sleep(0.02)
            if not alive(job):
                lengths.append(time.perf_counter() - started)
                continue
            kind = kinds[-1]
            if kind == "hub":
                hub.kill()
            elif not await asyncio.to_thread(kill_job, job, kind):
                continue  # it ended at the kill point
            kinds.pop()
            in_rollout += 1
            bad = {h: why for h in hosts if (why := broken(fleet.root(h))) is not None}
            broken_states += len(bad)
            kills.append(f"{kind}@{delay:.1f}s")
            print(
                f"{time.perf_counter() - wall0:7.1f} s  kill {len(kills)}: {kind} after {delay:.2f} s, "
                f"broken devices {len(bad)} {bad or ''}",
                flush=True,
            )
            if kind == "hub":
                await asyncio.to_thread(hub.start)
            else:
                while alive(job):  # the hub reaps what it started; wait until it noticed
                    await asyncio.sleep(0.05)
        final = await hub.wait(rollouts[-1], "completed", timeout=args.timeout)
        wall = time.perf_counter() - wall0
        version = final["spec"]["version"]
        on_version = sum(fleet.current(h) == version for h in hosts)
        broken_states += sum(broken(fleet.root(h)) is not None for h in hosts)
        leftovers = await asyncio.to_thread(orphans.find, hub.jobs_dir)
        check_audit(hub.data_dir, before)
        print(
            f"rollout_kill9: {args.devices} devices, {len(kills)} kills ({' '.join(kills)}) "
            f"over {len(rollouts)} rollouts: {broken_states} broken device-states after kills; "
            f"last rollout {final['state']} with {on_version} of {args.devices} on {version}, counts "
            f"{final['counts']}; leftover job processes {len(leftovers)}; audit append-only: yes; "
            f"wall {wall:.1f} s, load average {os.getloadavg()[0]:.1f}"
        )
        return 0 if broken_states == 0 and on_version == args.devices and not leftovers else 1
    finally:
        hub.stop()
        fleet.close()
        await asyncio.to_thread(orphans.reap, hub.jobs_dir)
        broker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--runs", type=int, default=10, help="kills of a wave job")
    parser.add_argument("--hub-runs", type=int, default=5, help="kills of the hub process")
    parser.add_argument("--waves", default="2,25%,100%")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds the last rollout may take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollout-kill9-") as tmp:
        os.chdir(tmp)
        return asyncio.run(bench(Path(tmp), args))


if __name__ == "__main__":
    raise SystemExit(main())
