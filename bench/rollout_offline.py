"""A rollout with 20 % of the devices offline: how many reach the new version after they return?

    python bench/rollout_offline.py [--devices 300] [--offline 20] [--waves 5,10%,50%,100%]
                                    [--forks 20] [--seed 1] [--after-s 30] [--playbooks DIR]

Issue 7: "with 20 % of devices offline, >= 99 % reach the new version after they return".
Real parts as in bench/rollout_300.py (the hub app with its orchestrator, Mosquitto, one
ansible-runner job per wave against ``ansible_connection=local`` kiosks with the real device
tool, devsim BIRTHs). Of the offline devices, half are not connected when the rollout starts;
the other half drop (DEATH) at a random moment of it, possibly in the middle of their own
install. Each comes back at a random moment: half while the rollout runs (when a random share
of the fleet is done), half after every device that stayed online has settled (within
``--after-s`` seconds). A device counts when its ``current`` is the new version and the hub
holds it ``done`` (its BIRTH reported the version). Prints the figure, wall time, CPU (this
process and every child: hub, wave jobs, Ansible, device tool, devsim) and the load average.
Not a pass/fail test; the exit status is 0 when the goal (>= 99 %) is met.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from hub import keys  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.rollouts.model import OPEN, RolloutSpec, Status  # noqa: E402
from tests.hub.rollouts.conftest import make_config  # noqa: E402
from tests.hub.rollouts.simfleet import bench_world, status_line  # noqa: E402
from tests.support.ports import free_port  # noqa: E402


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Absence:
    """One offline device's story: when it leaves (None: offline from the start) and returns."""

    host: str
    drop_at: float | None  # share of the fleet done when it drops
    back_at: float | None  # share of the fleet done when it returns; None: after the rest settled
    back_after_s: float = 0.0  # ... that many seconds after the rest settled
    gone: bool = False
    returned: bool = False


def plan(hosts: list[str], share: float, after_s: float, rng: random.Random) -> list[Absence]:
    chosen = rng.sample(hosts, round(len(hosts) * share / 100))
    out = []
    for i, host in enumerate(chosen):
        drop = None if i % 2 == 0 else rng.uniform(0.0, 0.5)
        back = rng.uniform((drop or 0.0) + 0.05, 0.75) if rng.random() < 0.5 else None
        out.append(Absence(host, drop, back, rng.uniform(0, after_s), gone=drop is None))
    return out


async def bench(base: Path, args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    waves = args.waves.split(",")
    port = free_port()
    fleet, broker, dist = bench_world(base, args.devices, port)
    hosts = fleet.hosts
    fleet.install("1.0.0")
    absences = plan(hosts, args.offline, args.after_s, rng)
    control = base / "offline.txt"
    offline = {a.host for a in absences if a.gone}
    fleet.set_offline(control, offline)
    config = make_config(base / "hub-data", fleet, dist, broker, port)
    changes = {"forks": args.forks, **({"playbooks": args.playbooks} if args.playbooks else {})}
    config = config.model_copy(update={"rollouts": config.rollouts.model_copy(update=changes)})
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    orch = app[keys.ROLLOUTS]
    try:
        fleet.online(broker, hosts, group="all", control=control)
        while not all(orch.presence.online(h) for h in hosts if h not in offline):
            await asyncio.sleep(0.2)
        spec = RolloutSpec(
            version="2.0.0",
            group="kiosks",
            waves=waves,
            soak_s=0,
            verify_timeout_s=args.verify_timeout,
            max_failures=0,
        )
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        rollout = await orch.create(spec, "bench")
        settled_at: float | None = None
        last = ""
        while rollout.state.value == "running" and time.perf_counter() - wall0 < args.timeout:
            now = time.perf_counter() - wall0
            done = sum(d.status is Status.DONE for d in rollout.devices.values()) / len(hosts)
            away = {a.host for a in absences if not a.returned}
            rest_settled = rollout.wave == len(waves) - 1 and not any(
                d.status in OPEN for h, d in rollout.devices.items() if h not in away
            )
            if rest_settled and settled_at is None:
                settled_at = now
            for a in absences:
                if not a.gone and not a.returned and a.drop_at is not None and done >= a.drop_at:
                    a.gone = True
                    offline.add(a.host)
                elif (
                    a.gone
                    and not a.returned
                    and (
                        (a.back_at is not None and done >= a.back_at)
                        or (
                            a.back_at is None
                            and settled_at is not None
                            and now >= settled_at + a.back_after_s
                        )
                    )
                ):
                    a.returned = True
                    offline.discard(a.host)
            fleet.set_offline(control, offline)
            line = f"{status_line(rollout, len(waves))} offline {len(offline)}"
            if line != last:
                print(f"{now:7.1f} s  {line}", flush=True)
                last = line
            await asyncio.sleep(0.5)
        wall = time.perf_counter() - wall0
        fleet.close()
        cpu = cpu_seconds() - cpu0
        returned = [a.host for a in absences if a.returned]
        caught = [
            h for h in returned if fleet.current(h) == "2.0.0" and rollout.devices[h].status is Status.DONE
        ]
        on_new = sum(fleet.current(h) == "2.0.0" for h in hosts)
        share = 100.0 * len(caught) / len(returned) if returned else 0.0
        never = sum(a.drop_at is None for a in absences)
        during = sum(a.back_at is not None for a in absences)
        print(
            f"rollout_offline: {args.devices} devices, {len(absences)} offline ({never} before the start, "
            f"{len(absences) - never} dropped during it), {len(returned)} returned ({during} during, "
            f"{len(absences) - during} after the rest settled): {len(caught)} of {len(returned)} returned "
            f"devices on 2.0.0 and BIRTH-confirmed ({share:.1f} %); "
            f"fleet {on_new} of {args.devices} on 2.0.0; "
            f"state {rollout.state.value} ({rollout.reason}); wall {wall:.1f} s, CPU {cpu:.1f} s, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        return 0 if returned and len(returned) == len(absences) and share >= 99.0 else 1
    finally:
        fleet.close()
        await runner.cleanup()
        broker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--offline", type=float, default=20.0, help="percent of devices offline")
    parser.add_argument("--waves", default="5,10%,50%,100%")
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--after-s", type=float, default=30.0, help="late returns spread over this")
    parser.add_argument("--verify-timeout", type=float, default=60.0, help="verify_timeout_s of the rollout")
    parser.add_argument(
        "--playbooks", type=Path, help="another playbooks/ directory (default: this checkout's)"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollout-offline-") as tmp:
        os.chdir(tmp)
        return asyncio.run(bench(Path(tmp), args))


if __name__ == "__main__":
    raise SystemExit(main())
