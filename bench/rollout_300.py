"""Roll a release out to N simulated devices through the hub's orchestrator; print wall time and CPU.

    python bench/rollout_300.py [--devices 300] [--waves 5,10%,50%,100%] [--forks 20]

Real parts: the hub app (aiohttp, MQTT ingest, orchestrator, artifact route with Range) on a
loopback port, Mosquitto, one ansible-runner job process per wave running playbooks/rollout.yml
against ``ansible_connection=local`` kiosks, each with its own install root set up by the
device tool, and one devsim process whose N paho clients publish each device's BIRTH with
the version its ``current`` link names. A device counts only when that BIRTH confirms it.
Soak time 0. CPU is this process (the hub) plus the wave jobs it waited for (ansible-runner,
Ansible, the device tool) plus devsim's, split per component: the device tool and Ansible's
modules run through a shell wrapper as their interpreter, whose ``times`` gives their CPU.
Not a pass/fail test; issue 7's goal is 300 devices in <= 3 min on 2 cores.
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

import yaml  # noqa: E402
from aiohttp import web  # noqa: E402

from hub import keys  # noqa: E402
from hub.app import create_app  # noqa: E402
from tests.hub.rollouts.conftest import make_config  # noqa: E402
from tests.hub.rollouts.simfleet import bench_world, status_line  # noqa: E402
from tests.support.ports import free_port  # noqa: E402


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    use = resource.getrusage(who)
    return use.ru_utime + use.ru_stime


def proc_cpu(pid: int) -> float:
    """CPU seconds a live process has used so far (utime + stime from /proc)."""
    fields = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_python(wrapper: Path, spool: Path) -> str:
    """An interpreter path that runs Python and leaves its CPU (with children) in ``spool``.

    The shell's ``times`` builtin reports the CPU of the children it waited for, so the
    wrapper costs one small sh process per call and no instrumentation in the code measured.
    """
    spool.mkdir(parents=True)
    wrapper.write_text(f'#!/bin/sh\n"{sys.executable}" "$@"\nrc=$?\ntimes > "{spool}/$$"\nexit $rc\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def spooled_cpu(spool: Path) -> tuple[float, int]:
    """(CPU seconds, calls) of every wrapped run: the second line of ``times`` is the children's."""
    total, calls = 0.0, 0
    for path in spool.iterdir():
        lines = path.read_text().splitlines()
        if len(lines) < 2:
            continue
        for part in lines[1].split():
            minutes, _, seconds = part.rstrip("s").partition("m")
            total += int(minutes) * 60 + float(seconds)
        calls += 1
    return total, calls


async def bench(base: Path, devices: int, waves: list[str], forks: int) -> int:
    port = free_port()
    fleet, broker, dist = bench_world(base, devices, port)
    hosts = fleet.hosts
    # Per-component CPU: Ansible's module runs and the device tool go through timing wrappers.
    modules = timed_python(base / "module-python", base / "cpu-modules")
    tool = timed_python(base / "tool-python", base / "cpu-tool")
    inventory = yaml.safe_load(fleet.inventory.read_text())
    inventory["all"]["vars"]["kiosk_release_python"] = tool
    for host_vars in inventory["all"]["children"]["kiosks"]["hosts"].values():
        host_vars["ansible_python_interpreter"] = modules
    fleet.inventory.write_text(yaml.safe_dump(inventory))
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
        devsim = next(iter(fleet.procs.values())).pid
        hub0, jobs0, devsim0 = cpu_seconds(), cpu_seconds(resource.RUSAGE_CHILDREN), proc_cpu(devsim)
        wall0 = time.perf_counter()
        rollout = await orch.create(spec, "bench")
        last = ""
        while rollout.state.value in ("running", "paused"):
            line = status_line(rollout, len(waves))
            if line != last:
                print(f"{time.perf_counter() - wall0:7.1f} s  {line}", flush=True)
                last = line
            await asyncio.sleep(1)
        wall = time.perf_counter() - wall0
        # Wave jobs are reaped children by now; devsim still runs, so /proc has its CPU.
        parts = {
            "hub": cpu_seconds() - hub0,
            "devsim": proc_cpu(devsim) - devsim0,
            "wave jobs": cpu_seconds(resource.RUSAGE_CHILDREN) - jobs0,
        }
        load = os.getloadavg()
        fleet.close()
        module_cpu, module_calls = spooled_cpu(base / "cpu-modules")
        tool_cpu, tool_calls = spooled_cpu(base / "cpu-tool")
        cpu = sum(parts.values())
        done = sum(d.status.value == "done" for d in rollout.devices.values())
        on_new = sum(fleet.current(h) == "2.0.0" for h in hosts)
        print(
            f"rollout_300: {devices} devices, waves {','.join(waves)}, forks {forks}: "
            f"state {rollout.state.value}, "
            f"{done} done (BIRTH-confirmed), {on_new} on 2.0.0; wall {wall:.1f} s, CPU {cpu:.1f} s "
            f"({100 * cpu / wall:.0f} % of one core), load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
        )
        # The wave job's CPU holds Ansible's module runs, and the device tool's runs, which sit
        # inside a module when a task uses one (command) and directly under Ansible with raw.
        nested = min(tool_cpu, module_cpu)
        components = {
            "Ansible controller + runner (wave jobs minus modules, tool)": parts["wave jobs"]
            - module_cpu
            - (tool_cpu - nested),
            f"Ansible modules, AnsiballZ ({module_calls} runs, minus the tool)": module_cpu - nested,
            f"device tool ({tool_calls} runs, with its self-test hooks)": tool_cpu,
            "hub (orchestrator, MQTT ingest, artifact route) + this bench": parts["hub"],
            "devsim (MQTT devices)": parts["devsim"],
        }
        for name, value in components.items():
            print(f"  {name:62s} {value:7.1f} CPU-s  {1000 * value / devices:6.0f} ms/device")
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
