"""A rollout wave over real SSH with become, judged by the hub as over a local connection.

Everything else drives simulated kiosks with ansible_connection=local. In the field Ansible
logs in over ssh and becomes root; `raw` then runs on a tty (stderr mixed into stdout, CRLF
line ends) inside become's wrapper. Here the same wave job the orchestrator starts
(hub/rollouts/wavejob.py, job.py, rollout.yml) runs at once against two copies of one fleet:
one over a real sshd on loopback (tests/playbooks/sshd.py), logging in with a key and
becoming root with su, and one local. The hub's per-device verdicts (verdicts.judge) must
agree: a switch, a deferral (a villager's session, exit 75) and a self-test failure that
switched back by itself (exit 3).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.rollouts.job import result_line, tool_answer
from hub.rollouts.model import RolloutSpec, job_spec
from hub.rollouts.settings import RolloutsConfig
from hub.rollouts.verdicts import judge
from hub.rollouts.wavejob import WaveJob
from tests.hub.rollouts.simfleet import SimFleet, signed_releases
from tests.playbooks.helpers import PLAYBOOKS, ArtifactServer
from tests.playbooks.sshd import Sshd, missing

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

HOSTS = ["kiosk-0001", "kiosk-0002", "kiosk-0003"]
SWITCHES, IN_SESSION, FAILS_SELFTEST = HOSTS


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    why = missing()
    if why is not None:
        pytest.skip(why)
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


# The devices' python3: it writes to stderr after the tool's JSON line, as an interpreter's
# warning at exit would. Over a local connection stderr stays apart; on ssh's tty it lands
# in stdout after the JSON, so "the last line" is no longer the tool's answer.
NOISY_PYTHON = f"""#!/bin/sh
{sys.executable} "$@"
rc=$?
echo "Exception ignored at interpreter shutdown: BrokenPipeError" >&2
exit $rc
"""


def prepare(base: Path, dist: Path, public: Path, url: str) -> SimFleet:
    """Three kiosks on 1.0.0: one healthy, one in a villager's session, one whose 2.0.0 fails."""
    fleet = SimFleet(base, HOSTS, dist, public, url)
    fleet.install("1.0.0")
    python = base / "python3"
    python.write_text(NOISY_PYTHON)
    python.chmod(0o755)
    inventory = yaml.safe_load(fleet.inventory.read_text())
    inventory["all"]["vars"]["kiosk_release_python"] = str(python)
    fleet.inventory.write_text(yaml.safe_dump(inventory))
    settings = fleet.root(IN_SESSION) / "etc" / "release.json"
    data = json.loads(settings.read_text())
    data["session_lock"] = str(fleet.root(IN_SESSION) / "shared" / "state" / "session.lock")
    settings.write_text(json.dumps(data))
    fleet.flag(FAILS_SELFTEST)
    return fleet


async def run_wave(
    fleet: SimFleet, url: str, run_dir: Path, envvars: dict[str, str] | None = None
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """One wave job as the orchestrator starts it: (the last judged line per host, the end line)."""
    # ssh's ControlMaster sockets: private, and in a short path (a unix socket's path is
    # limited to 107 bytes, which a pytest tmp_path can exceed).
    with tempfile.TemporaryDirectory(prefix="cunlink-cp-", ignore_cleanup_errors=True) as control:
        config = RolloutsConfig(
            enabled=True,
            playbooks=PLAYBOOKS,
            inventory=fleet.inventory,
            artifact_base_url=url,
            forks=5,
            envvars={
                "ANSIBLE_HOME": str(run_dir / "ansible-home"),
                "ANSIBLE_SSH_CONTROL_PATH_DIR": control,
                **(envvars or {}),
            },
        )
        spec = job_spec(config, RolloutSpec(version="2.0.0"), HOSTS, "rollout.yml", "all")
        job = await WaveJob.start(spec, run_dir)
        lines = {}
        async for line in job.lines():
            if judge(line, "2.0.0") is not None:
                lines[line["host"]] = line
    assert job.end is not None, (run_dir / "job.log").read_text()
    return lines, job.end


def verdicts(lines: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str | None, int | None, Any, Any]]:
    """Per host: the hub's status, the task, rc and what the device tool said it did and why."""
    out = {}
    for host, line in lines.items():
        verdict = judge(line, "2.0.0")
        assert verdict is not None
        result = line.get("result") or {}
        out[host] = (verdict[0].value, line["task"], line["rc"], result.get("result"), result.get("reason"))
    return out


async def test_wave_over_ssh_with_become_is_judged_as_over_local(tmp_path: Path, sshd: Sshd) -> None:
    _, public, dist = signed_releases(tmp_path / "signing")
    with ArtifactServer(dist) as server:
        fleets = {}
        for mode in ("local", "ssh"):
            fleets[mode] = await asyncio.to_thread(prepare, tmp_path / mode, dist, public, server.url)
        fleets["ssh"].over_ssh(sshd.host_vars())
        # su, logged: proves every device's command went through become.
        become_log = tmp_path / "become.log"
        su = tmp_path / "su"
        su.write_text(f'#!/bin/sh\necho "$@" >> {become_log}\nexec su "$@"\n')
        su.chmod(0o755)
        inventory = yaml.safe_load(fleets["ssh"].inventory.read_text())
        inventory["all"]["vars"]["ansible_become_exe"] = str(su)
        fleets["ssh"].inventory.write_text(yaml.safe_dump(inventory))
        logins_before = sshd.log.read_text().count("Accepted publickey")
        locks = [
            (fleet.root(IN_SESSION) / "shared" / "state" / "session.lock").open("a")
            for fleet in fleets.values()
        ]
        try:
            for held in locks:
                fcntl.flock(held, fcntl.LOCK_EX)  # a villager mid-session on IN_SESSION
            (local, local_end), (ssh, ssh_end) = await asyncio.gather(
                run_wave(fleets["local"], server.url, tmp_path / "run-local"),
                # The fixture logs in as root (the only account a test can count on), and
                # Ansible skips become from root to root unless told not to.
                run_wave(
                    fleets["ssh"],
                    server.url,
                    tmp_path / "run-ssh",
                    {"ANSIBLE_BECOME_ALLOW_SAME_USER": "True"},
                ),
            )
        finally:
            for held in locks:
                held.close()

    expected = {
        SWITCHES: ("switched", "Activate the release", 0, "confirmed", None),
        IN_SESSION: ("deferred", "Activate the release", 75, "deferred", "session-active"),
        FAILS_SELFTEST: ("failed", "Activate the release", 3, "rolled-back", None),
    }
    assert verdicts(local) == expected, local
    assert verdicts(ssh) == verdicts(local), ssh
    # The whole JSON line of the device tool survives the tty and become's wrapper.
    for host in HOSTS:
        assert ssh[host]["result"].keys() == local[host]["result"].keys(), (ssh[host], local[host])
    assert ssh_end["end"] == local_end["end"] == "failed"  # the rolled-back host fails the play
    for fleet in fleets.values():
        assert [fleet.current(h) for h in HOSTS] == ["2.0.0", "1.0.0", "1.0.0"]
    # Really over ssh (one login per device at least; ControlMaster reuses it) and become.
    assert sshd.log.read_text().count("Accepted publickey") - logins_before >= len(HOSTS)
    become = become_log.read_text().splitlines()
    assert len(become) == len(HOSTS), become
    assert all(line.startswith("root -c ") and "cunlink_release.py" in line for line in become), become


def test_the_answer_is_found_in_tty_noise() -> None:
    """A tty's stdout: CRLF, stderr before and after the answer; the answer still decides."""
    answer = {"result": "failed", "step": "fetch", "reason": "link broke"}
    stdout = (
        f"su: warning: cannot change directory\r\n{json.dumps(answer)}\r\nException ignored\r\n{{oops\r\n"
    )
    assert tool_answer(stdout) == answer
    assert tool_answer("no answer\r\n[1, 2]\r\n") is None
    event = {
        "event": "runner_on_failed",
        "event_data": {"host": "k1", "task": "Activate the release", "res": {"rc": 69, "stdout": stdout}},
    }
    line = result_line(event)
    assert line is not None
    # A broken download inside `activate --fetch` is a deferral, not a failed switch.
    verdict = judge(line, "2.0.0")
    assert verdict is not None
    assert verdict[0].value == "deferred", verdict
