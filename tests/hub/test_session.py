"""The full session model: reorder window, late messages, restore after a restart, transitions."""

from __future__ import annotations

from contract import codec
from contract import payloads as p
from contract.topics import NodeKind
from hub.clock import ManualClock
from hub.ingest.commands import Commands
from hub.ingest.dispatch import Dispatcher
from hub.ingest.reorder import Arrival, SeqWindow
from hub.snapshot import Transition
from hub.state import FleetState
from hub.stats import Stats
from tests.hub.conftest import Harness, RecordingPublisher
from tests.hub.messages import FakeNode, cpu


def _harness(reorder: float = 2.0, grace: float = 60.0) -> tuple[Harness, list[Transition]]:
    clock = ManualClock()
    stats = Stats(started=clock())
    state = FleetState(stats, max_series=1000, reorder_timeout=reorder, restore_grace=grace)
    seen: list[Transition] = []
    state.listeners.append(seen.append)
    publisher = RecordingPublisher()
    commands = Commands(publisher, stats, rebirth_min_interval=0)
    return Harness(clock, stats, state, publisher, Dispatcher(state, stats, commands)), seen


def test_seq_window_waits_for_late_numbers_and_judges_the_circle() -> None:
    window = SeqWindow(timeout=2.0)
    window.reset(0)
    assert window.observe(1, 0.0) == (Arrival.IN_ORDER, 0)
    assert window.observe(4, 0.1) == (Arrival.GAP, 0)
    assert window.observe(2, 0.2) == (Arrival.FILLED, 0)
    assert window.observe(3, 0.3) == (Arrival.FILLED, 0)
    assert not window.open
    assert window.observe(4, 0.4) == (Arrival.DUPLICATE, 0)
    assert window.observe(200, 0.5) == (Arrival.DUPLICATE, 0)  # more than half the circle back: old
    assert window.observe(7, 0.6) == (Arrival.GAP, 0)
    assert window.expire(1.0) == 0
    assert window.expire(2.6) == 2  # 5 and 6 never came


def test_reordered_messages_inside_the_window_cost_no_rebirth() -> None:
    h, _ = _harness(reorder=2.0)
    agent = FakeNode()
    h.send(agent.birth(devices=["gnb-1"]))
    h.send(agent.device_birth("gnb-1"))
    first = agent.data("gnb-1", cpu(0.1))
    h.send(agent.data("gnb-1", cpu(0.2)))  # overtook the first
    assert h.state.tick(h.clock()) == []
    h.send(first)
    assert h.stats.reordered == 1
    assert h.stats.seq_gaps == 0
    assert h.publisher.sent == []
    # The late, older DATA did not roll the value back... only when its ts says it is older.
    assert h.value("gnb-1", "cpu_usage_ratio") in (0.1, 0.2)


def test_lost_messages_are_counted_when_the_window_expires_and_rebirth_is_asked() -> None:
    h, _ = _harness(reorder=2.0)
    agent = FakeNode()
    h.send(agent.birth())
    agent.skip(3)
    h.send(agent.event())
    assert h.stats.seq_gaps == 0
    assert h.state.tick(h.clock.advance(1.0)) == []
    assert h.state.tick(h.clock.advance(1.5)) == [(NodeKind.AGENT, agent.node)]
    assert (h.stats.seq_gaps, h.stats.missing_messages) == (1, 3)


def test_late_data_older_than_shown_is_not_applied() -> None:
    h, _ = _harness(reorder=2.0)
    agent = FakeNode()
    h.send(agent.birth(devices=["gnb-1"]))
    h.send(agent.device_birth("gnb-1"))
    agent.ts = 2_000
    old = agent.data("gnb-1", cpu(0.1))
    agent.ts = 3_000
    h.send(agent.data("gnb-1", cpu(0.9)))
    h.send(old)
    assert h.value("gnb-1", "cpu_usage_ratio") == 0.9
    assert h.stats.messages[("DATA", "late")] == 1


def test_late_device_death_after_its_birth_is_ignored() -> None:
    h, seen = _harness(reorder=2.0)
    agent = FakeNode()
    h.send(agent.birth(devices=["gnb-1"]))
    h.send(agent.device_birth("gnb-1"))
    agent.ts -= 1000
    death = agent.device_death("gnb-1")  # sent before the BIRTH that follows
    agent.ts += 1000
    h.send(agent.device_birth("gnb-1"))
    h.send(death)
    assert h.state.device_state("gnb-1") == "online"
    assert h.stats.deaths_ignored == 1
    assert [t.state for t in seen if t.entity == "device"] == ["online"]


def test_restored_nodes_are_unknown_until_reborn_and_never_spuriously_offline() -> None:
    h, seen = _harness(grace=30.0)
    agent = FakeNode(bd_seq=4)
    h.send(agent.birth(devices=["gnb-1", "gnb-2"]))
    h.send(agent.device_birth("gnb-1"))
    h.send(agent.device_birth("gnb-2"))
    h.send(agent.device_death("gnb-2"))
    node = h.state.node_record((NodeKind.AGENT, agent.node))
    devices = [h.state.device_record(d) for d in ("gnb-1", "gnb-2")]
    assert node is not None
    assert all(devices)
    # A new hub process: same records, nothing live.
    h2, seen2 = _harness(grace=30.0)
    assert h2.state.restore([node], [d for d in devices if d], h2.clock()) == 2  # node + gnb-1
    assert h2.state.device_state("gnb-1") == "unknown"
    assert h2.state.device_state("gnb-2") == "offline"
    assert h2.state.pending_nodes() == [(NodeKind.AGENT, agent.node)]
    # DATA before the rebirth is refused and triggers one, but changes no state.
    h2.send(agent.data("gnb-1", cpu(0.3)))
    assert h2.state.device_state("gnb-1") == "unknown"
    h2.send(agent.birth(devices=["gnb-1", "gnb-2"]))  # same bdSeq: a rebirth
    h2.send(agent.device_birth("gnb-1"))
    assert h2.state.device_state("gnb-1") == "online"
    assert [(t.id, t.previous, t.state) for t in seen2] == [
        (agent.node, "unknown", "online"),
        ("gnb-1", "unknown", "online"),
    ]
    assert h2.state.tick(h2.clock.advance(60)) == []
    assert all(t.state != "offline" for t in seen2)
    assert seen  # the first hub saw its own transitions


def test_a_restored_node_that_never_reborns_goes_offline_after_the_grace() -> None:
    h, seen = _harness(grace=30.0)
    record_node = ("agent", "edge-9", True, 2, "0.1.0", {}, 1.0, 2.0, 1.0, None, ("gnb-9",))
    record_device = ("gnb-9", "agent", "edge-9", "gnb", True, {}, 1.0, 2.0, 1.0, None, None)
    from hub.snapshot import DeviceRecord, NodeRecord

    h.state.restore([NodeRecord(*record_node)], [DeviceRecord(*record_device)], h.clock())
    h.state.tick(h.clock.advance(10))
    assert seen == []
    h.state.tick(h.clock.advance(25))
    assert sorted((t.id, t.previous, t.state, t.reason) for t in seen) == [
        ("edge-9", "unknown", "offline", "not_reborn"),
        ("gnb-9", "unknown", "offline", "not_reborn"),
    ]


def test_a_restored_nodes_death_with_its_bdseq_counts() -> None:
    h, seen = _harness()
    from hub.snapshot import NodeRecord

    h.state.restore([NodeRecord("agent", "edge-9", True, 2, "v", {}, 1.0, 2.0, 1.0, None, ())], [], h.clock())
    stale = codec.encode(p.NodeDeath(ts=1, bd_seq=1))
    h.send(("cl/v1/agent/edge-9/DEATH", stale))
    assert h.state.node_state(NodeKind.AGENT, "edge-9") == "unknown"
    h.send(("cl/v1/agent/edge-9/DEATH", codec.encode(p.NodeDeath(ts=1, bd_seq=2))))
    assert h.state.node_state(NodeKind.AGENT, "edge-9") == "offline"
    assert [t.reason for t in seen] == ["death"]
