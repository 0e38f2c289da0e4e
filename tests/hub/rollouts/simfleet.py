"""A simulated fleet for the orchestrator: local-connection kiosks with their own install roots.

Each host is an ``ansible_connection=local`` kiosk whose root was set up by the real device
tool (``init``, then fetch/stage/switch of 1.0.0 from a loopback http.server with Range);
one root is set up and copied, because 300 tool runs would dominate the benchmark. Devices
speak MQTT through devsim.py processes, one per group of hosts, so a test can take a device
offline by stopping its process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from tests.playbooks.helpers import BUILD_ARTIFACT, RELEASE_TOOL, REPO, ArtifactServer, load_module, run_tool
from tests.support.services import Mosquitto

# Passes before the switch; after it fails on a device whose root holds shared/state/fail-selftest.
SELFTEST = b"""#!/bin/sh
if [ "$CUNLINK_RELEASE_PHASE" = post ] && [ -e "$CUNLINK_RELEASE_ROOT/shared/state/fail-selftest" ]; then
  echo "fail-selftest flag set on this device" >&2
  exit 1
fi
# A slow self-test on a device with shared/state/slow-selftest: time to kill the installer.
if [ "$CUNLINK_RELEASE_PHASE" = post ] && [ -e "$CUNLINK_RELEASE_ROOT/shared/state/slow-selftest" ]; then
  sleep 4
fi
# Slower still (hang-selftest): a job that outlives a killed hub for a while.
if [ "$CUNLINK_RELEASE_PHASE" = post ] && [ -e "$CUNLINK_RELEASE_ROOT/shared/state/hang-selftest" ]; then
  sleep 12
fi
exit 0
"""
VERIFY_DEADLINE = 3


def builder() -> ModuleType:
    return load_module(BUILD_ARTIFACT, "build_artifact_rollouts")


def build(dist: Path, key: Path, version: str) -> None:
    builder().build_artifact(
        version,
        dist,
        key,
        extra_files={"bin/selftest": (SELFTEST, 0o755), "app/VERSION": (version.encode(), 0o644)},
    )


def signed_releases(base: Path, versions: tuple[str, ...] = ("1.0.0", "2.0.0")) -> tuple[Path, Path, Path]:
    """(private key, public key, dist): a fleet signing key and ``versions`` built and signed."""
    private, public = builder().generate_key(base / "release")
    dist = base / "dist"
    for version in versions:
        build(dist, private, version)
    return private, public, dist


class SimFleet:
    def __init__(self, base: Path, hosts: list[str], dist: Path, public_key: Path, base_url: str) -> None:
        self.base, self.hosts, self.dist = base, hosts, dist
        self.public_pem = public_key.read_text()
        self.inventory = base / "hosts.yml"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        base.mkdir(parents=True, exist_ok=True)
        self._write_inventory(base_url)

    def root(self, host: str) -> Path:
        return self.base / "roots" / host / "kiosk"

    def current(self, host: str) -> str:
        return Path(os.readlink(self.root(host) / "current")).name

    def _write_inventory(self, base_url: str) -> None:
        hosts = {
            h: {
                "ansible_connection": "local",
                "cunlink_install_root": str(self.base / "roots" / h),
                "ansible_python_interpreter": sys.executable,
            }
            for h in self.hosts
        }
        values = {
            "cunlink_become": False,
            "cunlink_artifact_base_url": base_url,
            "cunlink_release_public_keys": [self.public_pem],
            "kiosk_manage_systemd": False,
            "kiosk_release_python": sys.executable,
            "kiosk_verify_deadline": VERIFY_DEADLINE,
            "kiosk_validate_config": False,
        }
        inventory = {"all": {"vars": values, "children": {"kiosks": {"hosts": hosts}}}}
        self.inventory.write_text(yaml.safe_dump(inventory))

    def over_ssh(self, host_vars: dict[str, Any], become_method: str = "su") -> None:
        """Reach every host over ssh with ``host_vars`` (tests/playbooks/sshd.py) and become
        root with ``become_method``, as in the field, instead of ansible_connection=local."""
        inventory = yaml.safe_load(self.inventory.read_text())
        for values in inventory["all"]["children"]["kiosks"]["hosts"].values():
            values.update(host_vars)
        inventory["all"]["vars"].update(cunlink_become=True, ansible_become_method=become_method)
        self.inventory.write_text(yaml.safe_dump(inventory))

    def install(self, version: str) -> None:
        """Every root initialised and on ``version`` (one set up by the tool, copied to the rest)."""
        server = ArtifactServer(self.dist)
        server.start()
        template = self.base / "template"
        try:
            settings = {
                "base_url": server.url,
                "artifact_name": "cunlink",
                "ca_file": "",
                "keep": 2,
                "session_lock": "",
                "windows": [],
                "timezone": "Asia/Shanghai",
                "restart_command": [],
                "unit": "",
                "health_url": "",
                "verify_deadline": float(VERIFY_DEADLINE),
                "verify_interval": 0.5,
                "hook_timeout": 60.0,
                "hook_env": {},
                "fetch_timeout": 10.0,
                "fetch_retries": 2,
                "max_rate": 0,
                "lock_timeout": 60.0,
            }
            payload = json.dumps({"settings": settings, "public_keys": [self.public_pem], "secrets": {}})
            (template / "bin").mkdir(parents=True)
            shutil.copy(RELEASE_TOOL, template / "bin" / "cunlink_release.py")
            done = subprocess.run(
                [sys.executable, str(RELEASE_TOOL), "--root", str(template), "init"],
                input=payload.encode(),
                capture_output=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr.decode()
            for step in ("fetch", "stage", "switch"):
                out, rc = run_tool(template, step, "--version", version)
                assert rc == 0, out
            run_tool(template, "confirm")
        finally:
            server.stop()
        for host in self.hosts:
            root = self.root(host)
            root.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(template, root, symlinks=True)
            settings_file = root / "etc" / "release.json"
            data = json.loads(settings_file.read_text())
            data["public_keys"] = [str(root / "etc" / "keys" / Path(k).name) for k in data["public_keys"]]
            settings_file.write_text(json.dumps(data))

    # -- devices on MQTT ------------------------------------------------------------------

    def online(
        self, broker: Mosquitto, hosts: list[str], group: str | None = None, control: Path | None = None
    ) -> None:
        """Start one devsim process for ``hosts`` (named ``group``, default the first host).

        With ``control``, the hosts that :meth:`set_offline` names there are offline.
        """
        name = group or hosts[0]
        args = [f"{h}={self.root(h)}" for h in hosts]
        if control is not None:
            args = ["--control", str(control), *args]
        self.procs[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.hub.rollouts.devsim",
                "--broker",
                f"{broker.host}:{broker.port}",
                *args,
            ],
            cwd=REPO,
        )

    @staticmethod
    def set_offline(control: Path, hosts: list[str] | set[str]) -> None:
        """Take exactly ``hosts`` offline (and bring back the rest) in a devsim's control file."""
        temp = control.with_name(control.name + ".tmp")
        temp.write_text("".join(f"{h}\n" for h in sorted(hosts)))
        temp.replace(control)  # devsim never reads a half-written list

    def offline(self, group: str) -> None:
        proc = self.procs.pop(group)
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)

    def close(self) -> None:
        for group in list(self.procs):
            self.offline(group)

    def flag(self, host: str, name: str = "fail-selftest") -> Path:
        path = self.root(host) / "shared" / "state" / name
        path.touch()
        return path


def jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def bench_world(base: Path, devices: int, port: int) -> tuple[SimFleet, Mosquitto, Path]:
    """The benches' setting: signed 1.0.0 and 2.0.0, a running Mosquitto, ``devices`` kiosks
    (``kiosk-0001``...) whose artifacts come from a hub on ``port``. Returns (fleet, broker, dist);
    the caller stops the broker and closes the fleet."""
    _, public, dist = signed_releases(base)
    (base / "broker").mkdir()
    broker = Mosquitto(base / "broker")
    broker.start()
    hosts = [f"kiosk-{i:04d}" for i in range(1, devices + 1)]
    fleet = SimFleet(base / "fleet", hosts, dist, public, f"http://127.0.0.1:{port}/artifacts")
    return fleet, broker, dist


def status_line(rollout: Any, waves: int) -> str:
    """``wave 2/4 {'done': 5, 'running': 25}``: the benches' progress line."""
    counts: dict[str, int] = {}
    for dev in rollout.devices.values():
        counts[dev.status.value] = counts.get(dev.status.value, 0) + 1
    return f"wave {rollout.wave + 1}/{waves} {counts}"
