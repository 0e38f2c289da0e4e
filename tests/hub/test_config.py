"""The hub's config file, command-line overrides and the CLI's handling of bad config."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from contract.configfile import ConfigError
from hub import cli
from hub.config import HubConfig, load, validate_config_file


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    config = load(None)
    assert (config.mqtt.host, config.mqtt.port, config.http.port) == ("127.0.0.1", 1883, 8780)
    assert config.client_id == "cunlink-hub"


def test_file_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_MQTT_PASSWORD", "s3cret")
    path = _write(
        tmp_path,
        "hub_id: bazhong-1\n"
        "mqtt:\n"
        "  host: broker.local\n"
        "  username: hub\n"
        "  password: env:HUB_MQTT_PASSWORD\n"
        "metrics:\n"
        "  max_series: 1000\n",
    )
    config = load(path, {"mqtt_port": 8883, "http_host": "0.0.0.0", "mqtt_host": None})
    assert config.mqtt.host == "broker.local"  # None means "not given"
    assert config.mqtt.port == 8883
    assert config.http.host == "0.0.0.0"
    assert config.mqtt.password is not None
    assert config.mqtt.password.get_secret_value() == "s3cret"  # survives the re-validation
    assert config.client_id == "cunlink-hub-bazhong-1"
    masked = validate_config_file(path)
    assert "s3cret" not in masked
    assert "'**********'" in masked or "**********" in masked
    assert "max_series: 1000" in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mqtt:\n  host: x\n  prot: 1883\n", "hub.yaml:3: mqtt.prot: unknown key"),
        ("http:\n  port: 70000\n", "hub.yaml:2: http.port: Input should be less than or equal to 65535"),
        ("mqtt:\n  password: x\n", "hub.yaml:1: mqtt: Value error, password is set but username is not"),
        ("mqtt: [1, 2]\n", "hub.yaml:1: mqtt: Input should be a valid dictionary"),
        (
            "metrics:\n  max_series: 0\n",
            "hub.yaml:2: metrics.max_series: Input should be greater than or equal to 1",
        ),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(_write(tmp_path, text))
    assert expected in str(info.value)


def test_bad_override_names_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"command line: --mqtt-port: Input should be less than or equal"):
        load(None, {"mqtt_port": 99999})


def test_every_field_is_described() -> None:
    def walk(model: type[pydantic.BaseModel], prefix: str) -> list[str]:
        missing = []
        for name, field in model.model_fields.items():
            if not field.description:
                missing.append(prefix + name)
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
                missing += walk(annotation, f"{prefix}{name}.")
        return missing

    assert walk(HubConfig, "") == []


def test_docs_list_every_key() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "hub.md").read_text(encoding="utf-8")

    def keys(model: type[pydantic.BaseModel], prefix: str) -> list[str]:
        out = []
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
                out += keys(annotation, f"{prefix}{name}.")
            else:
                out.append(prefix + name)
        return out

    assert [k for k in keys(HubConfig, "") if f"| `{k}` |" not in docs] == []


def test_cli_exits_2_on_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "mqtt:\n  port: nope\n")
    assert cli.main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "hub.yaml:2: mqtt.port: Input should be a valid integer" in err


def test_cli_exits_2_on_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--config", str(tmp_path / "absent.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_help_lists_the_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--config", "--mqtt-host", "--mqtt-port", "--http-host", "--http-port", "--log-level"):
        assert flag in out


def test_fleet_and_data_dir_overrides(tmp_path: Path) -> None:
    from hub.config import load

    config = load(None, {"fleet": str(tmp_path / "fleet.yaml"), "data_dir": str(tmp_path / "d")})
    assert config.fleet == tmp_path / "fleet.yaml"
    assert config.data_dir == tmp_path / "d"


def test_broken_fleet_file_stops_the_hub_with_its_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("version: 1\nbogus: true\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "cunlink", "hub", "--fleet", str(fleet), "--http-port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "invalid fleet file" in run.stderr
    assert str(fleet) in run.stderr
