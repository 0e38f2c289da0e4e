"""rollout.yml and rollback.yml, one wave at a time, as the hub's orchestrator will run them.

Continues from the converged `fleet` (everything on 1.0.0). Real parts as in test_roles.py;
the per-device failure flag is a file the test release's self-test looks for.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.playbooks.conftest import Fleet
from tests.playbooks.helpers import PLAYBOOKS, PlaybookRun, ansible_env, run_playbook, run_tool

# The first test here builds the shared converged fleet (two site.yml runs): more than the
# project's default 120 s per test on a loaded 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROOTS = {"edge-exch-001": "edge_agent", "kiosk-0001": "kiosk", "kiosk-0002": "kiosk"}


def root_of(fleet: Fleet, host: str) -> Path:
    return fleet.root(host) / ROOTS[host]


def current(fleet: Fleet, host: str) -> str:
    return Path(os.readlink(root_of(fleet, host) / "current")).name


def wave(fleet: Fleet, version: str, limit: str, phase: str = "all") -> PlaybookRun:
    # -v prints every task's result, so the device tool's JSON line shows for ok tasks too.
    return run_playbook(
        "rollout.yml",
        fleet.inventory,
        fleet.home,
        "-v",
        "--limit",
        limit,
        "-e",
        f"cunlink_release_version={version}",
        "-e",
        f"cunlink_rollout_phase={phase}",
    )


@dataclass
class Waves:
    canary: PlaybookRun
    deferred: PlaybookRun
    resumed: PlaybookRun
    resumed_version: str
    fetch_only: PlaybookRun
    fetched_version: str
    verified: PlaybookRun
    reverted: PlaybookRun


@pytest.fixture(scope="module")
def waves(fleet: Fleet) -> Waves:
    # Wave 1 to 1.1.0 on every device; kiosk-0002's release will not come up healthy.
    flag = root_of(fleet, "kiosk-0002") / "shared" / "state" / "fail-selftest"
    flag.touch()
    canary = wave(fleet, "1.1.0", "kiosks:edge_agents")
    flag.unlink()

    # Wave 2 to 1.2.0 on kiosk-0001 while a villager is mid-session: deferred, then resumed.
    lock = root_of(fleet, "kiosk-0001") / "shared" / "state" / "session.lock"
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        deferred = wave(fleet, "1.2.0", "kiosk-0001")
        assert current(fleet, "kiosk-0001") == "1.1.0"
    resumed = wave(fleet, "1.2.0", "kiosk-0001", phase="activate")
    resumed_version = current(fleet, "kiosk-0001")

    # Phase 1 only on the edge agent: staged, not switched.
    fetch_only = wave(fleet, "1.2.0", "edge-exch-001", phase="fetch")
    fetched_version = current(fleet, "edge-exch-001")

    # The controller dies right after switching the edge agent to a release that will not
    # come up; after its restart the hub runs the verify phase, and the device rolls back.
    edge = root_of(fleet, "edge-exch-001")
    (edge / "shared" / "state" / "fail-selftest").touch()
    out, rc = run_tool(edge, "switch", "--version", "1.2.0")
    assert (rc, out["result"]) == (0, "switched"), out
    verified = wave(fleet, "1.2.0", "edge-exch-001", phase="verify")
    (edge / "shared" / "state" / "fail-selftest").unlink()

    # "Revert wave" on kiosk-0001: back to 1.1.0.
    reverted = run_playbook("rollback.yml", fleet.inventory, fleet.home, "--limit", "kiosk-0001")
    return Waves(canary, deferred, resumed, resumed_version, fetch_only, fetched_version, verified, reverted)


def test_healthy_devices_switch_and_confirm(fleet: Fleet, waves: Waves) -> None:
    assert waves.canary.recap["edge-exch-001"]["failed"] == 0
    assert waves.canary.recap["edge-exch-001"]["changed"] > 0
    state = json.loads((root_of(fleet, "edge-exch-001") / "state.json").read_text())
    assert state["confirmed"] == "1.1.0"
    assert state["pending"] is None


def test_a_failing_device_rolls_itself_back_and_does_not_stop_the_wave(fleet: Fleet, waves: Waves) -> None:
    run = waves.canary
    assert run.rc != 0
    assert run.recap["kiosk-0002"]["failed"] == 1
    assert run.recap["kiosk-0001"]["failed"] == 0
    assert "rolled-back" in run.output
    assert current(fleet, "kiosk-0002") == "1.0.0"
    state = json.loads((root_of(fleet, "kiosk-0002") / "state.json").read_text())
    assert "1.1.0" in state["failed"]


def test_wave_does_not_touch_hosts_outside_the_limit(fleet: Fleet, waves: Waves) -> None:
    assert "central" not in waves.canary.recap
    assert os.readlink(fleet.root("central") / "hub" / "current") == "releases/1.0.0"


def test_villager_session_defers_the_switch(fleet: Fleet, waves: Waves) -> None:
    run = waves.deferred
    assert run.rc == 0, run.output[-3000:]
    assert run.recap["kiosk-0001"]["failed"] == 0
    assert "session-active" in run.output
    # Phase 1 still happened: the artifact waits unpacked-to-be in staging.
    assert waves.resumed.rc == 0, waves.resumed.output[-3000:]
    assert waves.resumed_version == "1.2.0"
    assert waves.resumed.recap["kiosk-0001"]["changed"] == 1


def test_fetch_phase_stages_without_switching(fleet: Fleet, waves: Waves) -> None:
    assert waves.fetch_only.rc == 0, waves.fetch_only.output[-3000:]
    assert waves.fetched_version == "1.1.0"
    assert waves.fetch_only.recap["edge-exch-001"]["changed"] == 1


def test_verify_phase_finishes_what_a_dead_controller_left(fleet: Fleet, waves: Waves) -> None:
    run = waves.verified
    assert run.recap["edge-exch-001"]["failed"] == 1
    assert "rolled-back" in run.output
    assert current(fleet, "edge-exch-001") == "1.1.0"
    state = json.loads((root_of(fleet, "edge-exch-001") / "state.json").read_text())
    assert state["pending"] is None
    assert "1.2.0" in state["failed"]


def test_revert_wave(fleet: Fleet, waves: Waves) -> None:
    assert waves.reverted.rc == 0, waves.reverted.output[-3000:]
    assert waves.reverted.recap["kiosk-0001"]["changed"] == 1
    assert current(fleet, "kiosk-0001") == "1.1.0"


def test_wave_parameters_are_checked(fleet: Fleet, waves: Waves) -> None:
    del waves
    run = wave(fleet, "1.1.0", "kiosk-0001", phase="switch-everything")
    assert run.rc != 0
    assert "cunlink_rollout_phase=fetch|activate|all|verify" in run.output
    assert current(fleet, "kiosk-0001") == "1.1.0"


def test_a_wave_through_ansible_runner_reports_per_device_results(
    fleet: Fleet, waves: Waves, tmp_path: Path
) -> None:
    """How the orchestrator reads a wave: per-host events of the "Activate the release" task."""
    del waves
    import ansible_runner

    results: dict[str, tuple[int, dict[str, object]]] = {}

    def on_event(event: dict[str, Any]) -> bool:
        data = event.get("event_data", {})
        if (
            event.get("event") in {"runner_on_ok", "runner_on_failed"}
            and data.get("task") == "Activate the release"
        ):
            res = data["res"]
            results[data["host"]] = (res["rc"], json.loads(res["stdout"]))
        return False  # keep nothing on disk (rollout.md 2.6: ~0 % overhead)

    env = ansible_env(fleet.home)
    (tmp_path / "run").mkdir()
    runner = ansible_runner.run(
        private_data_dir=str(tmp_path / "run"),
        project_dir=str(PLAYBOOKS),
        playbook="rollout.yml",
        inventory=str(fleet.inventory),
        limit="kiosk-0001,edge-exch-001",
        extravars={"cunlink_release_version": "1.1.0", "cunlink_rollout_phase": "activate"},
        # Its own ansible.cfg and home; PATH so that it finds the venv's ansible-playbook.
        envvars={k: env[k] for k in ("ANSIBLE_CONFIG", "ANSIBLE_HOME", "ANSIBLE_REMOTE_TEMP", "PATH")},
        event_handler=on_event,
        quiet=True,
    )
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    assert {host: (rc, out["result"]) for host, (rc, out) in results.items()} == {
        "kiosk-0001": (0, "already-current"),
        "edge-exch-001": (0, "already-current"),
    }
