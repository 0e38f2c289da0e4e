"""The `cunlink` command: every sub-command has --help; validate-config names file lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cunlink.cli import COMMANDS, main
from tests.support.stack import cunlink


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    argv = [command, "generate", "--help"] if command == "fleet" else [command, "--help"]
    run = subprocess.run(cunlink(*argv), capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "usage:" in run.stdout


def test_top_level_usage_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def test_unknown_command_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_validate_config_reports_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "hub.yaml"
    conf.write_text("http:\n  host: 127.0.0.1\n  port: 8080\n  bogus: 1\n", encoding="utf-8")
    assert main(["validate-config", str(conf)]) == 2
    err = capsys.readouterr().err
    assert f"{conf}:4: http.bogus: unknown key" in err


def test_validate_config_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "hub.yaml"
    conf.write_text(
        "mqtt:\n  host: 127.0.0.1\n  username: hub\n  password: hunter2\nhttp:\n  port: 8080\n",
        encoding="utf-8",
    )
    assert main(["validate-config", str(conf)]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "**********" in out


def test_validate_config_cannot_guess(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "x.yaml"
    conf.write_text("what: 1\n", encoding="utf-8")
    assert main(["validate-config", str(conf)]) == 2
    assert "--kind" in capsys.readouterr().err
