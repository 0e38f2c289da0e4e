"""Roll a release out to N simulated devices through the hub's orchestrator; print wall time and CPU.

    python bench/rollout_300.py [--devices 300] [--waves 5,10%,50%,100%] [--forks 20]

Real parts: the hub app (aiohttp, MQTT ingest, orchestrator, artifact route with Range) on a
loopback port, Mosquitto, one ansible-runner job process per wave running playbooks/rollout.yml
against ``ansible_connection=local`` kiosks, each with its own install root set up by the
device tool, and one devsim process whose N paho clients publish each device's BIRTH with
the version its ``current`` link names. A device counts only when that BIRTH confirms it.
Soak time 0. CPU is this process plus every child it waited for (wave jobs, Ansible, the
device tool, devsim). Not a pass/fail test; issue 7's goal is 300 devices in <= 3 min on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from hub import keys  # noqa: E402
from hub.app import create_app  # noqa: E402
from tests.hub.rollouts.conftest import make_config  # noqa: E402
from tests.hub.rollouts.simfleet import SimFleet, build, builder  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.services import Mosquitto  # noqa: E402


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def bench(base: Path, devices: int, waves: list[str], forks: int) -> int:
    private, public = builder().generate_key(base / "release")
    dist = base / "dist"
    for version in ("1.0.0", "2.0.0"):
        build(dist, private, version)
    broker = Mosquitto(base / "broker")
    (base / "broker").mkdir()
    broker.start()
    port = free_port()
    hosts = [f"kiosk-{i:04d}" for i in range(1, devices + 1)]
    fleet = SimFleet(base / "fleet", hosts, dist, public, f"http://127.0.0.1:{port}/artifacts")
    started = time.perf_counter()
    fleet.install("1.0.0")
    print(f"setup: {devices} install roots on 1.0.0 in {time.perf_counter() - started:.1f} s", flush=True)
    config = make_config(base / "hub-data", fleet, dist, broker, port)
    config = config.model_copy(update={"rollouts": config.rollouts.model_copy(update={"forks": forks})})
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    orch = app[keys.ROLLOUTS]
    try:
        fleet.online(broker, hosts, group="all")
        while not all(orch.presence.online(h) for h in hosts):
            await asyncio.sleep(0.2)
        from hub.rollouts.model import RolloutSpec

        spec = RolloutSpec(
            version="2.0.0", group="kiosks", waves=waves, soak_s=0, verify_timeout_s=300, max_failures=0
        )
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        rollout = await orch.create(spec, "bench")
        last = ""
        while rollout.state.value in ("running", "paused"):
            counts: dict[str, int] = {}
            for dev in rollout.devices.values():
                counts[dev.status.value] = counts.get(dev.status.value, 0) + 1
            line = f"wave {rollout.wave + 1}/{len(waves)} {counts}"
            if line != last:
                print(f"{time.perf_counter() - wall0:7.1f} s  {line}", flush=True)
                last = line
            await asyncio.sleep(1)
        wall = time.perf_counter() - wall0
        fleet.close()
        cpu = cpu_seconds() - cpu0
        done = sum(d.status.value == "done" for d in rollout.devices.values())
        on_new = sum(fleet.current(h) == "2.0.0" for h in hosts)
        print(
            f"rollout_300: {devices} devices, waves {','.join(waves)}, forks {forks}: "
            f"state {rollout.state.value}, "
            f"{done} done (BIRTH-confirmed), {on_new} on 2.0.0; wall {wall:.1f} s, CPU {cpu:.1f} s "
            f"({100 * cpu / wall:.0f} % of one core), load average {os.getloadavg()[0]:.1f}"
        )
        return 0 if done == devices else 1
    finally:
        fleet.close()
        await runner.cleanup()
        broker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--waves", default="5,10%,50%,100%")
    parser.add_argument("--forks", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as tmp:
        os.chdir(tmp)
        return asyncio.run(bench(Path(tmp), args.devices, args.waves.split(","), args.forks))


if __name__ == "__main__":
    raise SystemExit(main())
