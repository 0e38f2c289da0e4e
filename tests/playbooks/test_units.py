"""The release role's systemd units, rendered by Ansible and checked by `systemd-analyze verify`.

The role tests run with *_manage_systemd: false, so this is where the unit templates meet
systemd's own parser (without installing or starting anything).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.playbooks.helpers import PLAYBOOKS, run_playbook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def render(tmp_path: Path) -> Path:
    """Render the units twice in one Ansible run: kiosk with a watchdog, edge agent without."""
    root = tmp_path / "root"
    (root / "current" / "bin").mkdir(parents=True)
    (root / "bin").mkdir()
    for tool in (root / "current" / "bin" / "cunlink", root / "bin" / "cunlink_release.py"):
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    out = tmp_path / "units"
    out.mkdir()
    templates = PLAYBOOKS / "roles" / "release" / "templates"

    def task(name: str, watchdog: int) -> dict[str, object]:
        return {
            "name": f"Render {name}",
            "ansible.builtin.template": {
                "src": f"{templates}/{{{{ item.0 }}}}.j2",
                "dest": f"{out}/{{{{ item.1 }}}}",
                "mode": "0644",
            },
            "vars": {
                "release_service_name": f"{name}.service",
                "release_verify_unit": f"{name}-verify",
                "release_service_args": [name, "--config", f"{root}/shared/config/{name}.yaml"],
                "release_service_watchdog_sec": watchdog,
            },
            "loop": [
                ["program.service", f"{name}.service"],
                ["verify.service", f"{name}-verify.service"],
                ["verify.timer", f"{name}-verify.timer"],
            ],
        }

    play = [
        {
            "name": "Render the release units",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "release_root": str(root),
                "release_service_description": "cunlink program",
                "release_service_environment": {
                    "QT_QPA_PLATFORM": "eglfs",
                    "CUNLINK_PYTHON": "/usr/bin/python3",
                },
                "release_service_user": "root",
                "release_service_group": "root",
                "release_python": "/usr/bin/python3",
            },
            "tasks": [task("cunlink-kiosk", 30), task("cunlink-edge-agent", 0)],
        }
    ]
    (tmp_path / "render.yml").write_text(yaml.safe_dump(play))
    run = run_playbook(
        str(tmp_path / "render.yml"), PLAYBOOKS / "inventories" / "example" / "hosts.yml", tmp_path
    )
    assert run.rc == 0, run.output
    return out


def test_units_pass_systemd_analyze(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    out = render(tmp_path)
    kiosk = (out / "cunlink-kiosk.service").read_text()
    assert "Restart=always" in kiosk
    assert f"ExecStart={tmp_path}/root/current/bin/cunlink cunlink-kiosk --config" in kiosk
    assert "Type=notify" in kiosk
    assert "WatchdogSec=30" in kiosk
    edge = (out / "cunlink-edge-agent.service").read_text()
    assert "Type=simple" in edge
    assert "WatchdogSec" not in edge
    verify = (out / "cunlink-kiosk-verify.service").read_text()
    assert f"--root {tmp_path}/root verify --no-wait" in verify
    done = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in out.iterdir())],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
