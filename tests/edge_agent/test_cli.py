"""``cunlink edge`` as a process: bad config exits 2, SIGTERM stops cleanly, SIGKILL leaves the Will."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from contract.payloads import DeviceBirth, NodeBirth, NodeDeath
from edge_agent.cli import main
from tests.edge_agent.mqtt_recorder import MqttRecorder
from tests.edge_agent.test_agent_e2e import NODE, agent_config
from tests.support.services import Mosquitto, Snmpd


def test_bad_config_prints_file_line_key_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("agent:\n  node_id: e1\ntargets:\n  - device: d1\n    kind: gnb\n    adress: 10.0.0.1\n")
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6: targets[0].adress: unknown key" in err
    assert f"{path}:4: targets[0].address: Field required" in err


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: cunlink edge" in out
    assert "--config FILE" in out
    assert "--log-level" in out


def _start(config: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    with (tmp_path / "agent.log").open("wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "cunlink", "edge", "--config", str(config), "--log-level", "debug"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.mosquitto
@pytest.mark.snmpd
@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
async def test_signals(tmp_path: Path, mosquitto: Mosquitto, snmpd: Snmpd, sig: signal.Signals) -> None:
    recorder = MqttRecorder(mosquitto.host, mosquitto.port, NODE)
    proc = _start(agent_config(tmp_path / "agent.yaml", mosquitto, [("lo-host", snmpd.port)]), tmp_path)
    try:
        birth = await recorder.wait_for("BIRTH", lambda: recorder.first(NodeBirth, None), 20)
        await recorder.wait_for("device BIRTH", lambda: recorder.first(DeviceBirth, "lo-host"))
        proc.send_signal(sig)
        code = await asyncio.to_thread(proc.wait, 15)
        # SIGTERM: the agent publishes DEATH itself; SIGKILL: the broker publishes the Will.
        death = await recorder.wait_for("node DEATH", lambda: recorder.first(NodeDeath, None))
        assert death.bd_seq == birth.bd_seq
        log = (tmp_path / "agent.log").read_text(errors="replace")
        if sig == signal.SIGTERM:
            assert code == 0, log
            assert "stopped" in log
            assert "Traceback" not in log
        else:
            assert code == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        recorder.close()
