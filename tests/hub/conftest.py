"""Hub fixtures: the hub's parts wired without a broker, with a clock the test controls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from contract import codec
from contract.payloads import Command
from hub.clock import ManualClock
from hub.ingest.commands import Commands
from hub.ingest.dispatch import Dispatcher
from hub.ingest.handoff import Raw
from hub.snapshot import Snapshot
from hub.state import FleetState
from hub.stats import Stats


@dataclass
class RecordingPublisher:
    sent: list[tuple[str, bytes, int, bool]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool = False) -> None:
        self.sent.append((topic, payload, qos, retain))

    def commands(self) -> list[tuple[str, Command]]:
        return [(t, codec.decode_as(b, Command)) for t, b, _, _ in self.sent]


@dataclass
class Harness:
    """Stats, state, commands and dispatcher as create_app wires them, fed by hand."""

    clock: ManualClock
    stats: Stats
    state: FleetState
    publisher: RecordingPublisher
    dispatcher: Dispatcher

    def send(self, message: tuple[str, bytes], *, advance: float = 0.1) -> None:
        topic, payload = message
        self.dispatcher.handle(Raw(topic, payload, self.clock.advance(advance)))

    def snapshot(self) -> Snapshot:
        return self.state.snapshot(self.stats.view(self.clock()))

    def value(self, device: str, name: str, *labels: str) -> float | None:
        for view in self.snapshot().devices:
            if view.id == device:
                return view.values.get((name, labels))
        raise KeyError(device)


def make_harness(max_series: int = 1000, rebirth_min_interval: float = 30.0) -> Harness:
    clock = ManualClock()
    stats = Stats(started=clock())
    state = FleetState(stats, max_series=max_series, hub_id="test")
    publisher = RecordingPublisher()
    commands = Commands(publisher, stats, rebirth_min_interval=rebirth_min_interval)
    return Harness(clock, stats, state, publisher, Dispatcher(state, stats, commands))


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a temporary directory: an app built without ``data_dir`` writes ./hub-data."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def harness() -> Harness:
    return make_harness()
