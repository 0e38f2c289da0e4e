"""Helpers for edge agent tests: a controllable clock, a recording sink, config files, the simulator.

The real-service fixtures (``mosquitto``, ``snmpd``) come from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from paho.mqtt import client as paho
from paho.mqtt.enums import CallbackAPIVersion

from contract.codec import encode
from contract.fleet import Fleet
from contract.payloads import HubState, Sample
from contract.topics import HUB_STATE_TOPIC
from edge_agent.agent import Agent
from edge_agent.clock import Clock
from edge_agent.collect import DeviceCollector
from edge_agent.config import EdgeConfig, load
from edge_agent.modules import Module
from edge_agent.poller import DeviceInfo
from edge_agent.snmp.fake import FakeTransport
from edge_agent.snmp.transport import SnmpTransport
from edge_agent.snmp.v2c import UdpDispatcher, V2cTransport
from edge_agent.snmp.walk import Walker
from simulator.clock import SimClock
from simulator.fleet_gen import generate_fleet
from simulator.registry import select_devices
from simulator.server import SimOptions, Simulator
from tests.support.services import Mosquitto

FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps (or the test says so)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += seconds
        # Yield to the loop so other tasks run, as a real sleep would.
        await asyncio.sleep(0)

    def wall_ms(self) -> int:
        return 1_700_000_000_000 + round(self._now * 1000)

    def real(self, seconds: float) -> float:
        return seconds


@dataclass
class RecordingSink:
    """Collects what a poller reports, in order."""

    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def device_up(self, device: str, info: DeviceInfo) -> None:
        self.calls.append(("up", device, info))

    def device_down(self, device: str, reason: str) -> None:
        self.calls.append(("down", device, reason))

    def device_data(self, device: str, ts: int, samples: list[Sample]) -> None:
        self.calls.append(("data", device, samples))

    def device_event(self, device: str, ts: int, event: str, attrs: dict[str, Any]) -> None:
        self.calls.append(("event", device, (event, attrs)))

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.calls]

    def last_samples(self) -> list[Sample]:
        return next(payload for kind, _, payload in reversed(self.calls) if kind == "data")


def sample(samples: list[Sample], name: str, **labels: str) -> int | float:
    """The value of the one sample with ``name`` and exactly ``labels``."""
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples in {[(s.name, s.labels) for s in samples]}"
    return found[0]


def collector(modules: list[Module], transport: SnmpTransport, **walker: Any) -> DeviceCollector:
    """A collector on ``transport`` with a walker of default settings (overridable)."""
    return DeviceCollector(modules, Walker(transport, **walker))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def linux_device() -> FakeTransport:
    """net-snmp on Linux, as recorded (system, ifTable, ifXTable)."""
    return FakeTransport.from_snmprec(FIXTURES / "netsnmp-linux.snmprec")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config dict as YAML and return its path."""

    def write(data: dict[str, Any], name: str = "agent.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write


def publish_hub_state(broker: Mosquitto, online: bool) -> None:
    """Set the retained hub STATE, as the hub does (tests run without a hub)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"fake-hub-{online}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        info = client.publish(HUB_STATE_TOPIC, encode(HubState(online=online, ts=1)), qos=1, retain=True)
        info.wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


@dataclass
class SimHandle:
    """A simulator running in the test's event loop."""

    sim: Simulator
    fleet: Fleet
    clock: SimClock

    @property
    def port(self) -> int:
        assert self.sim.ports.v2c is not None
        return self.sim.ports.v2c

    @property
    def v3_port(self) -> int:
        assert self.sim.ports.v3 is not None
        return self.sim.ports.v3

    def devices(self, kind: str) -> list[str]:
        return [d.id for d in self.sim.devices.devices if d.kind == kind]

    def fault(self, device: str, fault: str, **params: Any) -> None:
        from simulator.faults import FaultRequest

        self.sim.injector.apply(FaultRequest(device=device, fault=fault, params=params))  # type: ignore[arg-type]

    def clear(self, device: str, fault: str | None = None) -> None:
        self.sim.injector.clear(device, fault)

    def v2c(self, dispatcher: UdpDispatcher, device: str, *, timeout: float) -> V2cTransport:
        """A v2c transport to ``device`` (the community's ``@device`` picks it on the simulator)."""
        return V2cTransport(
            dispatcher, address="127.0.0.1", port=self.port, community=f"public@{device}", timeout=timeout
        )


@pytest.fixture
async def dispatcher() -> AsyncIterator[UdpDispatcher]:
    """The UDP socket v2c transports share; closed at the end of the test."""
    disp = await UdpDispatcher.open()
    yield disp
    disp.close()


@pytest.fixture
async def start_sim() -> AsyncIterator[Callable[..., Awaitable[SimHandle]]]:
    """Start in-process simulators: ``await start_sim(gnbs=2, speed=1.0, trap_target=None)``."""
    running: list[Simulator] = []

    async def start(
        gnbs: int = 1, *, speed: float = 1.0, trap_target: tuple[str, int] | None = None, v3: bool = False
    ) -> SimHandle:
        fleet = generate_fleet(2024, gnbs=max(gnbs, 1), kiosks=1)
        chosen = select_devices(fleet, first_gnbs=gnbs)
        clock = SimClock(speed=speed)
        options = SimOptions(port=0, v3_port=0 if v3 else None, control_port=None, trap_target=trap_target)
        sim = Simulator(fleet, chosen, options, clock)
        await sim.start()
        running.append(sim)
        return SimHandle(sim, fleet, clock)

    yield start
    for sim in running:
        await sim.close()


def sim_config(
    tmp_path: Path,
    handle: SimHandle,
    devices: list[str],
    *,
    mosquitto: Mosquitto | None = None,
    node: str = "edge-sim-t",
    interval: float = 1.0,
    v3: bool = False,
    extra: dict[str, Any] | None = None,
) -> EdgeConfig:
    """An agent config polling simulator devices (v2c, or v3 authPriv on the v3 port)."""
    kinds = {d.id: d.kind for d in handle.sim.devices.devices}
    modules = {
        "gnb": ["system", "if_mib", "gnb_radio"],
        "olt_uplink": ["system", "if_mib"],
        "ups": ["system", "if_mib", "ups"],
    }
    data: dict[str, Any] = {
        "agent": {"node_id": node, "state_dir": str(tmp_path / "state")},
        "mqtt": {
            "host": "127.0.0.1",
            "port": mosquitto.port if mosquitto else 1,
            "keepalive": 5,
            "reconnect_max_delay": 1,
        },
        "poll": {"interval": interval, "timeout": 0.5, "retries": 1},
        "auths": {
            "sim": {"version": "2c", "community": "public"},
            "sim3": {
                "version": "3",
                "username": "simuser",
                "auth_protocol": "SHA",
                "auth_password": "authpass123",
                "priv_protocol": "AES",
                "priv_password": "privpass123",
            },
        },
        "targets": [
            {
                "device": d,
                "kind": kinds[d],
                "address": "127.0.0.1",
                "port": handle.v3_port if v3 else handle.port,
                "auth": "sim3" if v3 else "sim",
                "context": d,
                "modules": modules[kinds[d]],
            }
            for d in devices
        ],
    }
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    path = tmp_path / f"{node}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load(path)


@pytest.fixture
async def run_agent() -> AsyncIterator[
    Callable[..., Awaitable[tuple[Agent, asyncio.Event, asyncio.Task[None]]]]
]:
    """Start agents in this event loop; every one still running is stopped at the end."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(
        config: EdgeConfig, clock: Clock | None = None, **kwargs: Any
    ) -> tuple[Agent, asyncio.Event, asyncio.Task[None]]:
        agent = Agent(config, clock=clock, **kwargs)
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        running.append((stop, task))
        return agent, stop, task

    yield start
    for stop, task in running:
        stop.set()
        await asyncio.wait_for(task, 15)


@pytest.fixture
def hub_online(mosquitto: Mosquitto) -> Mosquitto:
    """The broker with a retained hub STATE online."""
    publish_hub_state(mosquitto, True)
    return mosquitto
