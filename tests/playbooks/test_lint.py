"""Every playbook passes `ansible-playbook --syntax-check` and ansible-lint's production profile."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.playbooks.helpers import PLAYBOOKS, VENV_BIN, ansible_env

PLAYBOOK_FILES = sorted(p.name for p in PLAYBOOKS.glob("*.yml"))


def test_there_are_playbooks() -> None:
    assert {"site.yml", "rollout.yml", "rollback.yml"} <= set(PLAYBOOK_FILES)


@pytest.mark.slow
def test_syntax_check(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "--syntax-check", *PLAYBOOK_FILES],
        cwd=PLAYBOOKS,
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ansible_lint_production_profile(tmp_path: Path) -> None:
    # playbooks/.ansible-lint selects the production profile and offline mode.
    done = subprocess.run(
        [str(VENV_BIN / "ansible-lint"), "--nocolor"],
        cwd=PLAYBOOKS,
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Profile 'production' was required, and it passed" in done.stdout + done.stderr
