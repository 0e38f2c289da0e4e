"""The hub's GC tuning: a fleet's long-lived objects are frozen as it is born, and only then."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hub.ingest.commands import Commands
from hub.ingest.dispatch import Dispatcher
from hub.state import FleetState
from hub.stats import Stats
from tests.hub.conftest import Harness, ManualClock, RecordingPublisher
from tests.hub.messages import FakeNode


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    yield
    gc.unfreeze()  # frozen objects are never collected: give them back to the test process


def harness(*, freeze_gc: bool) -> Harness:
    clock = ManualClock()
    stats = Stats(started=clock())
    state = FleetState(stats, max_series=100_000, hub_id="test", freeze_gc=freeze_gc)
    commands = Commands(RecordingPublisher(), stats, rebirth_min_interval=30.0)
    return Harness(clock, stats, state, RecordingPublisher(), Dispatcher(state, stats, commands))


def born(h: Harness, agent: FakeNode, devices: range) -> None:
    """Devices join the fleet (the node's BIRTH first, with the first batch)."""
    names = [f"gnb-{i}" for i in devices]
    if devices.start == 0:
        h.send(agent.birth(devices=names))
    for name in names:
        h.send(agent.device_birth(name))


def test_snapshots_freeze_a_growing_fleet_by_quarters() -> None:
    gc.unfreeze()
    h = harness(freeze_gc=True)
    agent = FakeNode()
    born(h, agent, range(900))
    h.snapshot()
    assert gc.get_freeze_count() == 0, "below 1,000 devices nothing is frozen"
    born(h, agent, range(900, 1100))
    h.snapshot()
    first = gc.get_freeze_count()
    assert first > 0
    born(h, agent, range(1100, 1300))  # +18 %: not yet a quarter more
    h.snapshot()
    assert gc.get_freeze_count() == first
    born(h, agent, range(1300, 1400))  # 1,400 >= 1,100 * 5/4
    h.snapshot()
    assert gc.get_freeze_count() > first


def test_off_by_default_nothing_is_frozen() -> None:
    gc.unfreeze()
    h = harness(freeze_gc=False)
    born(h, FakeNode(), range(1500))
    h.snapshot()
    assert gc.get_freeze_count() == 0
