"""The whole agent against the simulator and a real Mosquitto: slow and dead devices, traps, the hub STATE.

Each test runs the simulator in its event loop, the agent as a task, and a paho
subscriber decoding what reaches the broker with the contract codec.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.payloads import Alarm, Data, DeviceBirth, DeviceDeath, NodeBirth, Sample
from tests.edge_agent.conftest import publish_hub_state, sim_config
from tests.edge_agent.mqtt_recorder import MqttRecorder
from tests.simulator.netsnmp import V3_SHA
from tests.support.ports import free_port
from tests.support.services import Mosquitto, need

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]

NODE = "edge-sim-t"


@pytest.fixture
def recorder(mosquitto: Mosquitto) -> Iterator[MqttRecorder]:
    rec = MqttRecorder(mosquitto.host, mosquitto.port, NODE)
    yield rec
    rec.close()


def _value(samples: list[Sample], name: str, **labels: str) -> int | float | None:
    return next((s.value for s in samples if s.name == name and s.labels == labels), None)


async def test_a_slow_device_is_polled_without_holding_up_the_others(
    tmp_path: Path, start_sim: Any, hub_online: Mosquitto, recorder: MqttRecorder, run_agent: Any
) -> None:
    sim = await start_sim(gnbs=2)
    slow, fast = sim.devices("gnb")
    sim.fault(slow, "slow", delay_ms=150)
    config = sim_config(tmp_path, sim, [slow, fast], mosquitto=hub_online, interval=2.0)
    await run_agent(config)

    def durations(device: str) -> list[float]:
        found = [_value(m.metrics, "edge_poll_duration_seconds") for _, m in recorder.messages(Data, device)]
        return [float(v) for v in found if v is not None]

    await recorder.wait_for(
        "three polls of each", lambda: min(len(durations(slow)), len(durations(fast))) >= 3, 20
    )
    # Every answer of the slow gNB takes 150 ms, yet it completes: its columns are walked a few
    # PDUs at a time (GET, then lookups and metric columns in parallel groups).
    assert min(durations(slow)[1:]) >= 0.3
    assert sorted(durations(fast))[len(durations(fast)) // 2] < min(durations(slow)[1:])
    assert recorder.messages(DeviceDeath, slow) == []  # slow, but always within the deadline
    # Past the timeout (0.5 s x 2 tries) every request fails: the device is reported dead.
    sim.fault(slow, "slow", delay_ms=1500)
    death = await recorder.wait_for(
        "DEATH of the very slow gNB", lambda: recorder.first(DeviceDeath, slow), 15
    )
    assert death.reason in {"timeout", "deadline"}


async def test_a_dead_device_dies_once_and_is_born_again(
    tmp_path: Path, start_sim: Any, hub_online: Mosquitto, recorder: MqttRecorder, run_agent: Any
) -> None:
    sim = await start_sim(gnbs=1)
    gnb = sim.devices("gnb")[0]
    await run_agent(sim_config(tmp_path, sim, [gnb], mosquitto=hub_online, interval=1.0))
    await recorder.wait_for("BIRTH", lambda: recorder.first(DeviceBirth, gnb), 15)
    sim.fault(gnb, "down")
    death = await recorder.wait_for("DEATH", lambda: recorder.first(DeviceDeath, gnb), 15)
    assert death.reason in {"timeout", "deadline"}  # 0.5 s x 2 tries, or the 0.8 s deadline first
    data_at_death = len(recorder.messages(Data, gnb))
    await asyncio.sleep(2.5)  # more failed polls: no more DEATHs, no DATA
    assert len(recorder.messages(DeviceDeath, gnb)) == 1
    assert len(recorder.messages(Data, gnb)) == data_at_death

    sim.clear(gnb, "down")
    await recorder.wait_for("BIRTH again", lambda: len(recorder.messages(DeviceBirth, gnb)) == 2, 15)
    await recorder.wait_for("DATA again", lambda: len(recorder.messages(Data, gnb)) > data_at_death)
    kinds = [type(m).__name__ for t, m in recorder.all() if t.device == gnb]
    last_death = len(kinds) - 1 - kinds[::-1].index("DeviceDeath")
    assert kinds[last_death + 1] == "DeviceBirth"  # BIRTH before any DATA after the return


def _alarms(recorder: MqttRecorder, device: str) -> list[tuple[str, str, str]]:
    return [(m.alarm, m.state, m.resource) for _, m in recorder.messages(Alarm, device)]


async def test_traps_from_the_simulator_become_alarms_that_raise_and_clear(
    tmp_path: Path, start_sim: Any, hub_online: Mosquitto, recorder: MqttRecorder, run_agent: Any
) -> None:
    trap_port = free_port(socket.SOCK_DGRAM)
    sim = await start_sim(gnbs=1, trap_target=("127.0.0.1", trap_port))
    gnb = sim.devices("gnb")[0]
    ups = next(
        d.id
        for d in sim.sim.devices.devices
        if d.kind == "ups" and d.spec.site == sim.sim.devices.get(gnb).spec.site
    )
    traps = {"enabled": True, "host": "127.0.0.1", "port": trap_port}
    config = sim_config(tmp_path, sim, [gnb, ups], mosquitto=hub_online, extra={"traps": traps})
    await run_agent(config)
    # The interface names come from the polled ifName table: wait for one poll.
    await recorder.wait_for("gNB DATA", lambda: recorder.first(Data, gnb), 15)

    sim.fault(gnb, "link_down")
    await recorder.wait_for("link_down raised", lambda: _alarms(recorder, gnb), 10)
    assert _alarms(recorder, gnb) == [("link_down", "raised", "xgei-0/0/1")]
    sim.clear(gnb, "link_down")
    await recorder.wait_for("link_down cleared", lambda: len(_alarms(recorder, gnb)) == 2, 10)
    assert _alarms(recorder, gnb)[1] == ("link_down", "cleared", "xgei-0/0/1")

    sim.fault(ups, "power_cut", runtime_s=3600)
    await recorder.wait_for(
        "on battery", lambda: ("ups_on_battery", "raised", "") in _alarms(recorder, ups), 10
    )
    sim.clear(ups, "power_cut")
    await recorder.wait_for(
        "mains back", lambda: ("ups_on_battery", "cleared", "") in _alarms(recorder, ups), 10
    )
    alarm = recorder.messages(Alarm, ups)[0][1]
    assert alarm.historical is False
    assert alarm.severity == "major"


async def test_v3_traps_and_v2c_informs_from_net_snmp(
    tmp_path: Path, start_sim: Any, hub_online: Mosquitto, recorder: MqttRecorder, run_agent: Any
) -> None:
    sim = await start_sim(gnbs=1)
    gnb = sim.devices("gnb")[0]
    trap_port = free_port(socket.SOCK_DGRAM)
    engine_id = "0x8000000001020304"
    traps = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": trap_port,
        "v3": [{"auth": "sim3", "engine_id": engine_id, "device": gnb}],
    }
    agent, _, _ = await run_agent(
        sim_config(tmp_path, sim, [gnb], mosquitto=hub_online, extra={"traps": traps})
    )
    await recorder.wait_for("gNB DATA", lambda: recorder.first(Data, gnb), 15)
    target = f"127.0.0.1:{trap_port}"
    link_down = ["1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.2", "i", "2"]
    snmptrap = [need("snmptrap"), *V3_SHA, "-e", engine_id, target, ""]
    await asyncio.to_thread(
        subprocess.run, [*snmptrap, *link_down], check=True, timeout=10, capture_output=True
    )
    await recorder.wait_for("v3 linkDown", lambda: _alarms(recorder, gnb), 10)
    assert _alarms(recorder, gnb) == [("link_down", "raised", "ecpri-0/0/2")]

    # An inform is answered (snmpinform exits 0 only then) and becomes the clearing alarm.
    link_up = ["1.3.6.1.6.3.1.1.5.4", "1.3.6.1.2.1.2.2.1.1.2", "i", "2"]
    inform = [need("snmpinform"), "-v2c", "-c", f"public@{gnb}", "-t", "2", "-r", "1", target, ""]
    await asyncio.to_thread(subprocess.run, [*inform, *link_up], check=True, timeout=10, capture_output=True)
    await recorder.wait_for("inform linkUp", lambda: len(_alarms(recorder, gnb)) == 2, 10)
    assert _alarms(recorder, gnb)[1] == ("link_down", "cleared", "ecpri-0/0/2")

    # An SNMPv1 Trap-PDU (generic linkDown) is mapped to its SNMPv2 form.
    v1 = [
        need("snmptrap"),
        "-v1",
        "-c",
        f"public@{gnb}",
        target,
        "1.3.6.1.4.1.8072",
        "127.0.0.1",
        "2",
        "0",
        "",
    ]
    await asyncio.to_thread(subprocess.run, [*v1, "1.3.6.1.2.1.2.2.1.1.1", "i", "1"], check=True, timeout=10)
    await recorder.wait_for("v1 linkDown", lambda: len(_alarms(recorder, gnb)) == 3, 10)
    assert _alarms(recorder, gnb)[2] == ("link_down", "raised", "xgei-0/0/1")

    # A wrong community is rejected and counted.
    bad = [need("snmptrap"), "-v2c", "-c", "guess", target, "", *link_up]
    await asyncio.to_thread(subprocess.run, bad, check=True, timeout=10, capture_output=True)
    await recorder.wait_for("rejected", lambda: agent.traps.stats.rejected == 1, 5)
    assert agent.traps.stats.received == {"3": 1, "2c": 1, "1": 1}


async def test_the_hub_state_gates_publishing_and_its_return_replays_the_backlog(
    tmp_path: Path, start_sim: Any, mosquitto: Mosquitto, recorder: MqttRecorder, run_agent: Any
) -> None:
    sim = await start_sim(gnbs=1)
    gnb = sim.devices("gnb")[0]
    publish_hub_state(mosquitto, False)  # the hub's Will: it is away
    agent, _, _ = await run_agent(sim_config(tmp_path, sim, [gnb], mosquitto=mosquitto, interval=1.0))
    await recorder.wait_for("DATA stored", lambda: agent.delivery and agent.delivery.outbox.depth >= 6, 15)
    assert recorder.all() == []  # connected, but nothing is published while the hub is offline

    await asyncio.to_thread(publish_hub_state, mosquitto, True)
    await recorder.wait_for("BIRTH", lambda: recorder.first(NodeBirth, None), 10)

    def replayed_and_live() -> bool:
        flags = [m.historical for _, m in recorder.messages(Data, gnb)]
        return flags.count(True) >= 3 and False in flags

    await recorder.wait_for("replay and live", replayed_and_live, 10)
    data = [m for _, m in recorder.messages(Data, gnb)]
    historical = [m.ts for m in data if m.historical]
    assert len(historical) >= 3
    assert historical == sorted(historical)
    kinds = [type(m).__name__ for _, m in recorder.all()]
    assert kinds[:2] == ["NodeBirth", "DeviceBirth"]

    await asyncio.to_thread(publish_hub_state, mosquitto, False)
    await recorder.wait_for("session ended", lambda: not agent.session.online, 10)
    await asyncio.sleep(0.3)  # what was in flight arrives
    count = len(recorder.all())
    await asyncio.sleep(1.5)
    assert len(recorder.all()) == count  # offline again: data waits
    assert agent.delivery.outbox.depth >= 2
