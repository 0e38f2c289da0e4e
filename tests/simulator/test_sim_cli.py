"""`cunlink sim` as a process: ready file, agent config, fault sub-command, clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.cli import main
from tests.simulator.netsnmp import needs_netsnmp


def _start(tmp_path: Path, fleet_file: Path, *extra: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "sim",
            "--fleet",
            str(fleet_file),
            "--port",
            "0",
            "--control-port",
            "0",
            "--ready-file",
            str(ready),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out = proc.communicate()[0].decode()
            pytest.fail(f"simulator did not start:\n{out}")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text("utf-8"))


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=15)[0].decode()
    assert proc.returncode == 0, out
    return out


@pytest.mark.snmpd
@needs_netsnmp
def test_sim_process_serves_writes_agent_config_and_stops_cleanly(tmp_path: Path, fleet_file: Path) -> None:
    agent = tmp_path / "agent.yaml"
    proc, ready = _start(
        tmp_path,
        fleet_file,
        "--devices",
        "3",
        "--agent-config",
        str(agent),
        "--mqtt-port",
        "1884",
        "--interval",
        "5",
        "--node-id",
        "edge-t",
    )
    try:
        # 3 gNBs and their UPSes, plus their township's two uplinks and the exchange's UPS.
        assert ready["devices"] == 3 + 3 + 2 + 1
        port = ready["port"]
        out = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                "public@gnb-0003",
                "-On",
                "-Oqv",
                f"127.0.0.1:{port}",
                "1.3.6.1.2.1.1.5.0",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
        assert out.strip().strip('"') == "gnb-0003"

        config = yaml.safe_load(agent.read_text("utf-8"))
        assert config["agent"] == {"node_id": "edge-t"}
        assert config["mqtt"] == {"host": "127.0.0.1", "port": 1884}
        assert config["poll"] == {"interval": 5}
        assert config["auths"] == {"sim_v2c": {"version": "2c", "community": "public"}}
        first = config["targets"][0]
        assert first == {
            "device": "gnb-0001",
            "kind": "gnb",
            "address": "127.0.0.1",
            "port": port,
            "auth": "sim_v2c",
            "context": "gnb-0001",
            "modules": ["system", "if_mib", "gnb_radio"],
            "labels": {
                "county": "巴州区",
                "township": "回风街道",
                "village": first["labels"]["village"],
                "site": "cell-0001",
            },
        }
        modules = {t["kind"]: t["modules"] for t in config["targets"]}
        assert modules == {
            "gnb": ["system", "if_mib", "gnb_radio"],
            "olt_uplink": ["system", "if_mib"],
            "ups": ["system", "if_mib", "ups"],
        }

        ready_file = str(tmp_path / "ready.json")
        assert main(["sim", "fault", "gnb-0003", "down", "--ready-file", ready_file]) == 0
        down = subprocess.run(
            [
                "snmpget",
                "-v2c",
                "-c",
                "public@gnb-0003",
                "-t",
                "0.3",
                "-r",
                "0",
                f"127.0.0.1:{port}",
                "1.3.6.1.2.1.1.5.0",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        assert "Timeout" in down.stderr
        assert main(["sim", "fault", "gnb-0003", "--clear", "--ready-file", ready_file]) == 0
        assert (
            main(["sim", "fault", "gnb-0003", "slow", "-p", "delay_ms=oops", "--ready-file", ready_file]) == 2
        )
        assert main(["sim", "clock", "--freeze", "--ready-file", ready_file]) == 0
    finally:
        out = _stop(proc)
    assert "9 devices" in out
    assert not (tmp_path / "ready.json").exists()


def test_kinds_and_v3_and_per_device_ports(tmp_path: Path, fleet_file: Path) -> None:
    agent = tmp_path / "agent.yaml"
    proc, ready = _start(
        tmp_path,
        fleet_file,
        "--devices",
        "2",
        "--kinds",
        "gnb,ups",
        "--port-per-device",
        "--v3-port",
        "0",
        "--agent-config",
        str(agent),
        "--agent-auth",
        "v3",
    )
    try:
        assert ready["port"] is None
        # The exchange's UPS comes with the township (ups-0001); no OLT uplinks (--kinds).
        assert sorted(ready["device_ports"]) == ["gnb-0001", "gnb-0002", "ups-0001", "ups-0151", "ups-0152"]
        config = yaml.safe_load(agent.read_text("utf-8"))
        assert {t["port"] for t in config["targets"]} == {ready["v3_port"]}
        assert config["auths"]["sim_v3"]["security_level"] == "authPriv"
    finally:
        _stop(proc)


def test_cli_errors(tmp_path: Path, fleet_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--fleet", str(tmp_path / "missing.yaml")]) == 2
    assert "cannot read fleet file" in capsys.readouterr().err
    assert main(["sim", "--fleet", str(fleet_file), "--kinds", "router"]) == 2
    assert "unknown kinds: router" in capsys.readouterr().err
    assert main(["sim", "fault", "gnb-0001", "down", "--control", "http://127.0.0.1:9"]) == 2
    with pytest.raises(SystemExit) as info:
        main(["sim", "--help"])
    assert info.value.code == 0
    assert "<community>@<device>" in capsys.readouterr().out
