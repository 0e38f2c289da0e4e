"""Fixtures for the simulator tests: one generated fleet, in-process simulators, a control client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from contract.fleet import Fleet, dump_fleet
from simulator.clock import SimClock
from simulator.fleet_gen import generate_fleet
from simulator.registry import select_devices
from simulator.server import SimOptions, Simulator
from simulator.v3_agent import V3User

# 2026-06-01 20:00 in Bazhong (UTC+8): evening, so traffic is high and counters move fast.
EVENING = 1780315200.0


@pytest.fixture(scope="session")
def fleet() -> Fleet:
    return generate_fleet()


@pytest.fixture(scope="session")
def fleet_file(tmp_path_factory: pytest.TempPathFactory, fleet: Fleet) -> Path:
    path = tmp_path_factory.mktemp("fleet") / "fleet.json"
    dump_fleet(fleet, path)
    return path


class FakeTime:
    """A monotonic source the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def manual_clock(fake_time: FakeTime) -> SimClock:
    """Simulated time that only moves when the test moves ``fake_time.now`` or calls ``advance``."""
    return SimClock(start=EVENING, source=fake_time)


@pytest.fixture
async def sim(fleet: Fleet) -> AsyncIterator[Simulator]:
    """The first 2 gNBs with their UPSes and their township's OLT uplinks, v2c + v3 + control API."""
    options = SimOptions(
        port=0,
        v3_port=0,
        control_port=0,
        v3_users=(
            V3User(),
            V3User(name="sim256", auth="SHA256", auth_key="authpass256", priv_key="privpass256"),
        ),
    )
    async with Simulator(
        fleet, select_devices(fleet, first_gnbs=2), options, SimClock(start=EVENING)
    ) as running:
        yield running


class Control:
    """The simulator's HTTP control API, as a test uses it."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(self, method: str, path: str, body: object = None, status: int = 200) -> Any:
        async with self.session.request(method, self.base + path, json=body) as resp:
            data = await resp.json()
            assert resp.status == status, data
            return data

    async def fault(self, device: str, fault: str, status: int = 201, **params: object) -> Any:
        return await self.call(
            "POST", "/faults", {"device": device, "fault": fault, "params": params}, status
        )

    async def clear(self, device: str) -> Any:
        return await self.call("DELETE", f"/faults/{device}")

    async def clock(self, **body: object) -> Any:
        return await self.call("POST", "/clock", body)


@pytest.fixture
async def control(sim: Simulator) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as session:
        yield Control(session, f"http://127.0.0.1:{sim.ports.control}")


@pytest.fixture
def ups_of(fleet: Fleet) -> Callable[[str], str]:
    """The UPS at a device's site."""

    def find(device: str) -> str:
        ups = fleet.index.ups_of_site(fleet.index.device(device).site)
        assert ups is not None
        return ups.id

    return find
