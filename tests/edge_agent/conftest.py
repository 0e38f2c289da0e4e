"""Helpers for edge agent tests: a controllable clock, a recording sink, config files.

The real-service fixtures (``mosquitto``, ``snmpd``) come from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.payloads import Sample
from edge_agent.poller import DeviceInfo
from edge_agent.snmp.fake import FakeTransport

FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps (or the test says so)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        # Yield to the loop so other tasks run, as a real sleep would.
        await asyncio.sleep(0)

    def wall(self) -> int:
        return 1_700_000_000_000 + round(self.now * 1000)


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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def linux_device() -> FakeTransport:
    """net-snmp on Linux, as recorded (system, ifTable, ifXTable)."""
    return FakeTransport.from_snmprec(FIXTURES / "netsnmp-linux.snmprec")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a config dict as YAML and return its path."""

    def write(data: dict[str, Any], name: str = "agent.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write
