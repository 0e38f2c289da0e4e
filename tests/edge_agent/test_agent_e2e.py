"""The whole agent against a real net-snmp snmpd and a real Mosquitto.

A paho subscriber records what the agent publishes and decodes it with the
contract codec; values are checked against net-snmp's own snmpget. These
configs set ``wait_for_hub: false`` (no hub runs here); test_hub_state.py
covers the hub's STATE.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.payloads import Command, Data, DeviceBirth, DeviceDeath, Event, NodeBirth, NodeDeath, Sample
from edge_agent.agent import Agent
from edge_agent.config import load
from edge_agent.snmp.fake import FakeTransport
from edge_agent.snmp.transport import SnmpType, SnmpValue
from tests.edge_agent.conftest import FIXTURES
from tests.edge_agent.mqtt_recorder import MqttRecorder
from tests.support.ports import free_port
from tests.support.services import Mosquitto, Snmpd, need

pytestmark = [pytest.mark.mosquitto, pytest.mark.snmpd, pytest.mark.slow]

NODE = "edge-e2e"
IF_HC_IN_OCTETS_LO = "1.3.6.1.2.1.31.1.1.1.6.1"


def agent_config(
    path: Path, mosquitto: Mosquitto, targets: list[tuple[str, int]], community: str = "public"
) -> Path:
    """A config polling ``(device, port)`` targets on loopback every second."""
    lines = [
        "agent:",
        f"  node_id: {NODE}",
        "  labels: {county: 巴州区}",
        f"  state_dir: {path.parent / 'state'}",
        "mqtt:",
        f"  host: {mosquitto.host}",
        f"  port: {mosquitto.port}",
        "  keepalive: 5",
        "  reconnect_max_delay: 1",
        "  wait_for_hub: false",
        "poll: {interval: 1, timeout: 0.3, retries: 0, max_repetitions: 25}",
        "auths:",
        f"  v2c: {{version: '2c', community: {community}}}",
        "targets:",
    ]
    for device, port in targets:
        lines += [
            f"  - {{device: {device}, kind: router, address: 127.0.0.1, port: {port}, auth: v2c,",
            "     modules: [system, if_mib], labels: {site: lab}}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def recorder(mosquitto: Mosquitto) -> Iterator[MqttRecorder]:
    rec = MqttRecorder(mosquitto.host, mosquitto.port, NODE)
    yield rec
    rec.close()


@pytest.fixture
def run_agent(run_agent: Callable[..., Any]) -> Callable[[Path], Any]:
    """conftest's ``run_agent``, started from a config file instead of a loaded config."""

    async def start(config_path: Path) -> tuple[Agent, asyncio.Event, asyncio.Task[None]]:
        result: tuple[Agent, asyncio.Event, asyncio.Task[None]] = await run_agent(load(config_path))
        return result

    return start


def _snmpget(agent: Snmpd, oid: str) -> int:
    out = subprocess.run(
        [need("snmpget"), "-v2c", "-c", agent.community, "-On", "-Oqv", f"{agent.host}:{agent.port}", oid],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
        env=dict(os.environ, MIBS=""),
    )
    return int(out.stdout.strip())


def _value(samples: list[Sample], name: str, **labels: str) -> int | float | None:
    return next((s.value for s in samples if s.name == name and s.labels == labels), None)


async def test_births_data_device_death_rebirth_and_clean_death(
    tmp_path: Path, mosquitto: Mosquitto, snmpd: Snmpd, recorder: MqttRecorder, run_agent: Any
) -> None:
    ghost_port = free_port()  # nothing listens there: the device never answers
    config = agent_config(
        tmp_path / "agent.yaml", mosquitto, [("lo-host", snmpd.port), ("ghost", ghost_port)]
    )
    before = _snmpget(snmpd, IF_HC_IN_OCTETS_LO)
    _, stop, task = await run_agent(config)

    birth = await recorder.wait_for("node BIRTH", lambda: recorder.first(NodeBirth, None))
    assert (birth.seq, birth.bd_seq) == (0, 0)
    assert birth.devices == ["lo-host", "ghost"]
    assert birth.labels == {"county": "巴州区"}
    assert "edge_snmp_timeouts_total" in {m.name for m in birth.metrics}

    dbirth = await recorder.wait_for("device BIRTH", lambda: recorder.first(DeviceBirth, "lo-host"))
    assert dbirth.kind == "router"
    assert dbirth.labels == {"site": "lab"}
    assert dbirth.properties["sys_descr"].startswith("Linux")
    assert {"if_hc_in_octets", "if_oper_status", "sys_uptime_seconds"} <= {m.name for m in dbirth.metrics}

    ddeath = await recorder.wait_for("ghost DEATH", lambda: recorder.first(DeviceDeath, "ghost"))
    assert ddeath.reason == "timeout"

    data = await recorder.wait_for("device DATA", lambda: recorder.first(Data, "lo-host"))
    octets = _value(data.metrics, "if_hc_in_octets", ifname="lo")
    assert octets is not None
    assert before <= octets <= _snmpget(snmpd, IF_HC_IN_OCTETS_LO)
    assert _value(data.metrics, "if_oper_status", ifname="lo", if_oper_status="up") == 1

    # The node reports its own health: one device up, one down, timeouts counted.
    def node_health() -> Data | None:
        for _, message in recorder.messages(Data, None):
            if _value(message.metrics, "edge_devices", state="down") == 1 and _value(
                message.metrics, "edge_devices", state="up"
            ):
                return message
        return None

    health = await recorder.wait_for("node DATA with device health", node_health)
    assert (_value(health.metrics, "edge_snmp_timeouts_total") or 0) >= 1
    assert _value(health.metrics, "edge_outbox_depth") is not None
    # Each device's own numbers ride in its DATA.
    assert (_value(data.metrics, "edge_snmp_requests_total") or 0) >= 1
    assert recorder.messages(DeviceBirth, "ghost") == []
    assert len(recorder.messages(DeviceDeath, "ghost")) == 1  # once, however many polls fail

    # seq runs on without gaps across topics within the session.
    seqs = [getattr(m, "seq", None) for _, m in recorder.all()]
    assert seqs == list(range(len(seqs)))

    # A rebirth command: a new BIRTH with seq 0 and the same bdSeq, then the devices again.
    recorder.send(f"cl/v1/agent/{NODE}/CMD", Command(ts=1, command="rebirth"))
    await recorder.wait_for("second BIRTH", lambda: len(recorder.messages(NodeBirth, None)) == 2)
    second = recorder.messages(NodeBirth, None)[1][1]
    assert (second.seq, second.bd_seq) == (0, 0)
    await recorder.wait_for("ghost DEATH re-sent", lambda: len(recorder.messages(DeviceDeath, "ghost")) == 2)

    stop.set()
    await asyncio.wait_for(task, 10)
    death = await recorder.wait_for("node DEATH", lambda: recorder.first(NodeDeath, None))
    assert death.bd_seq == 0
    assert recorder.errors == []


async def test_bdseq_advances_across_restarts_and_reconnects(
    tmp_path: Path, mosquitto: Mosquitto, snmpd: Snmpd, recorder: MqttRecorder, run_agent: Any
) -> None:
    config = agent_config(tmp_path / "agent.yaml", mosquitto, [("lo-host", snmpd.port)])

    def births() -> list[Any]:
        return [m for _, m in recorder.all() if isinstance(m, NodeBirth | DeviceBirth)]

    _, stop, task = await run_agent(config)
    await recorder.wait_for("device BIRTH", lambda: len(births()) == 2)
    stop.set()
    await asyncio.wait_for(task, 10)

    _, stop, task = await run_agent(config)  # a restart: the state file gives the next bdSeq
    await recorder.wait_for("BIRTHs after restart", lambda: len(births()) == 4)

    # The broker goes away and comes back: the agent reconnects with a new Will and re-births.
    await asyncio.to_thread(mosquitto.restart, 0.3)
    await recorder.wait_for("BIRTHs after reconnect", lambda: len(births()) == 6, 15)
    stop.set()
    await asyncio.wait_for(task, 10)
    await recorder.wait_for(
        "last DEATH", lambda: any(m.bd_seq == 2 for _, m in recorder.messages(NodeDeath, None))
    )

    sequence = [(type(m).__name__, getattr(m, "bd_seq", None), m.seq) for m in births()]
    assert sequence == [
        ("NodeBirth", 0, 0),
        ("DeviceBirth", None, 1),
        ("NodeBirth", 1, 0),
        ("DeviceBirth", None, 1),
        ("NodeBirth", 2, 0),
        ("DeviceBirth", None, 1),
    ]
    deaths = [m.bd_seq for _, m in recorder.messages(NodeDeath, None)]
    # Each clean stop names the session it ends; session 1 ended with the broker, whose Will
    # (bdSeq 1) Mosquitto may deliver as it shuts down. No DEATH ever names a live session.
    assert deaths[0] == 0
    assert deaths[-1] == 2
    assert set(deaths) <= {0, 1, 2}
    assert deaths.count(2) == 1


async def test_device_that_stops_answering_dies_once_and_is_born_again(
    tmp_path: Path, mosquitto: Mosquitto, recorder: MqttRecorder, run_agent: Any
) -> None:
    device = Snmpd(tmp_path / "own-snmpd")
    device.workdir.mkdir()
    device.start()
    try:
        config = agent_config(tmp_path / "agent.yaml", mosquitto, [("flaky", device.port)])
        await run_agent(config)
        await recorder.wait_for("BIRTH", lambda: recorder.messages(DeviceBirth, "flaky"))
        await asyncio.to_thread(device.stop)
        death = await recorder.wait_for("device DEATH", lambda: recorder.first(DeviceDeath, "flaky"))
        assert death.reason in {"timeout", "deadline"}
        data_at_death = len(recorder.messages(Data, "flaky"))
        await asyncio.sleep(2.5)  # more failed polls: no more DEATHs, no DATA
        assert len(recorder.messages(DeviceDeath, "flaky")) == 1
        assert len(recorder.messages(Data, "flaky")) == data_at_death

        await asyncio.to_thread(device.start)
        await recorder.wait_for("BIRTH again", lambda: len(recorder.messages(DeviceBirth, "flaky")) == 2)
        await recorder.wait_for("DATA again", lambda: len(recorder.messages(Data, "flaky")) > data_at_death)
    finally:
        device.stop()


async def test_reboot_reaches_the_broker_as_an_event(
    tmp_path: Path, mosquitto: Mosquitto, recorder: MqttRecorder
) -> None:
    device = FakeTransport.from_snmprec(FIXTURES / "netsnmp-linux.snmprec")
    config = load(agent_config(tmp_path / "agent.yaml", mosquitto, [("recorded", 161)]))
    agent = Agent(config, transport_factory=lambda target: device)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    try:
        first = await recorder.wait_for("DATA", lambda: recorder.first(Data, "recorded"))
        octets = _value(first.metrics, "if_hc_in_octets", ifname="eth0")
        assert octets is not None
        device.set("1.3.6.1.2.1.1.3.0", SnmpValue(SnmpType.TIMETICKS, 300))  # up 3 s: rebooted
        device.set("1.3.6.1.2.1.31.1.1.1.6.4", SnmpValue(SnmpType.COUNTER64, 1000))
        event = await recorder.wait_for("reboot EVENT", lambda: recorder.first(Event, "recorded"))
        assert event.event == "device_reboot"
        assert event.attrs["uptime_seconds"] == 3

        def after_reboot() -> Data | None:
            found = [m for _, m in recorder.messages(Data, "recorded") if m.seq > event.seq]
            return found[0] if found else None

        data = await recorder.wait_for("DATA after the reboot", after_reboot)
        assert _value(data.metrics, "if_hc_in_octets", ifname="eth0") == octets + 1000
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert device.closed


async def test_boots_without_a_broker_and_a_restart_keeps_counting(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    """The agent polls from its local config with no broker, and a restart continues its counters.

    A legacy gNB (32-bit ifInOctets only) is polled by a first agent while the broker is
    unreachable; its DATA waits in the outbox. The agent stops; the counter wraps while it is
    down; a second agent with the same state directory connects, replays the first agent's DATA
    (historical) and continues the extended total from the saved state instead of reporting the
    raw 32-bit value, which Prometheus would read as a reset.
    """
    device = FakeTransport.from_snmprec(FIXTURES / "gnb-legacy.snmprec")
    in_octets = "1.3.6.1.2.1.2.2.1.10.1"
    away = Mosquitto(tmp_path / "away")  # a port nothing listens on
    away.port = free_port()
    config = load(agent_config(tmp_path / "agent.yaml", away, [("legacy", 161)]))
    first = Agent(config, transport_factory=lambda target: device)
    stop = asyncio.Event()
    task = asyncio.create_task(first.run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while not (first.pollers and first.pollers[0].health.cycles >= 2):
            assert asyncio.get_running_loop().time() < deadline, "nothing polled without a broker"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    assert first.pollers[0].collector.counters.to_state()  # what the state file now holds

    before = device.value(in_octets)
    assert before is not None
    assert isinstance(before.value, int)
    device.set(in_octets, SnmpValue(SnmpType.COUNTER32, 1000))  # wrapped while no agent ran
    uptime = device.value("1.3.6.1.2.1.1.3.0")
    assert uptime is not None
    assert isinstance(uptime.value, int)
    device.set("1.3.6.1.2.1.1.3.0", SnmpValue(SnmpType.TIMETICKS, uptime.value + 3000))

    recorder = MqttRecorder(mosquitto.host, mosquitto.port, NODE)
    try:
        config = load(agent_config(tmp_path / "agent.yaml", mosquitto, [("legacy", 161)]))
        second = Agent(config, transport_factory=lambda target: device)
        stop = asyncio.Event()
        task = asyncio.create_task(second.run(stop))

        def live() -> Data | None:
            found = [m for _, m in recorder.messages(Data, "legacy") if not m.historical]
            return found[0] if found else None

        data = await recorder.wait_for("live DATA after the restart", live, 15)
        replayed = [m for _, m in recorder.messages(Data, "legacy") if m.historical]
        assert len(replayed) >= 2  # the first agent's cycles, polled with no broker
        assert _value(data.metrics, "if_hc_in_octets", ifname="backhaul0") == 2**32 + 1000
        stop.set()
        await asyncio.wait_for(task, 15)
    finally:
        recorder.close()
