"""The session model, driven through the dispatcher with decoded-from-bytes contract messages."""

from __future__ import annotations

import pytest

from contract import codec
from contract import payloads as p
from contract.payloads import HubState
from contract.topics import HUB_STATE_TOPIC, NodeKind
from hub.ingest.handoff import Raw
from tests.hub.conftest import Harness, make_harness
from tests.hub.messages import FakeNode, cpu, octets


def _online(h: Harness, agent: FakeNode, *devices: str) -> None:
    h.send(agent.birth(devices=list(devices)))
    for device in devices:
        h.send(agent.device_birth(device))


def _device(h: Harness, device: str):  # type: ignore[no-untyped-def]
    return next(d for d in h.snapshot().devices if d.id == device)


def test_birth_and_data_become_live_values(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1")
    harness.send(agent.data("gnb-1", octets("eth0", 10), cpu(0.25)))
    assert harness.value("gnb-1", "if_hc_in_octets", "eth0") == 10
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.25
    # Report by exception: a later DATA with one sample leaves the other unchanged.
    harness.send(agent.data("gnb-1", octets("eth0", 20)))
    assert harness.value("gnb-1", "if_hc_in_octets", "eth0") == 20
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.25
    assert harness.state.series == 2
    assert harness.stats.messages[("DATA", "ok")] == 2


def test_late_death_after_new_birth_is_ignored(harness: Harness) -> None:
    agent = FakeNode(bd_seq=7)
    _online(harness, agent, "gnb-1")
    stale_will = agent.death()  # the Will of connection 7
    agent.reconnect()
    _online(harness, agent, "gnb-1")  # connection 8 is born before the broker delivers Will 7
    harness.send(agent.data("gnb-1", cpu(0.5)))
    harness.send(stale_will)
    assert harness.state.node_online(NodeKind.AGENT, agent.node)
    assert _device(harness, "gnb-1").online
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.5
    assert harness.stats.deaths_ignored == 1


def test_death_with_matching_bdseq_kills_node_and_devices(harness: Harness) -> None:
    agent = FakeNode(bd_seq=3)
    _online(harness, agent, "gnb-1", "olt-1")
    harness.send(agent.data("gnb-1", cpu(0.5)))
    harness.send(agent.data("olt-1", cpu(0.7)))
    harness.send(agent.death())
    snap = harness.snapshot()
    assert not harness.state.node_online(NodeKind.AGENT, agent.node)
    assert {d.id: (d.online, dict(d.values), d.death_reason) for d in snap.devices} == {
        "gnb-1": (False, {}, "node_death"),
        "olt-1": (False, {}, "node_death"),
    }
    assert snap.series == 0
    # The death's effect uses the hub's receive time, not the Will's (connect-time) payload ts.
    assert next(n for n in snap.nodes if n.id == agent.node).died == harness.clock()


def test_device_death_takes_one_device_offline(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1", "gnb-2")
    harness.send(agent.data("gnb-1", cpu(0.1)))
    harness.send(agent.data("gnb-2", cpu(0.2)))
    harness.send(agent.device_death("gnb-1"))
    assert not _device(harness, "gnb-1").online
    assert _device(harness, "gnb-1").values == {}
    assert _device(harness, "gnb-2").online
    assert harness.value("gnb-2", "cpu_usage_ratio") == 0.2
    # DATA for a dead device is a protocol break: rejected, and the node is asked to rebirth.
    harness.send(agent.data("gnb-1", cpu(0.9)))
    assert harness.stats.rejected["no_session"] == 1
    assert [c.command for _, c in harness.publisher.commands()] == ["rebirth"]


def test_historical_data_never_overwrites_live_values(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1")
    harness.send(agent.data("gnb-1", cpu(0.5)))
    harness.send(agent.data("gnb-1", cpu(0.99), octets("eth9", 1), historical=True))
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.5
    assert harness.value("gnb-1", "if_hc_in_octets", "eth9") is None
    assert harness.stats.messages[("DATA", "historical")] == 1
    assert harness.stats.messages[("DATA", "ok")] == 1


def test_seq_gap_is_counted_and_rebirth_requested_once_per_interval(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1")
    agent.skip(3)
    harness.send(agent.data("gnb-1", cpu(0.5)))
    assert harness.stats.seq_gaps == 1
    assert harness.stats.missing_messages == 3
    # The message after the gap is still applied: it is live data, only its predecessors are lost.
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.5
    assert harness.publisher.commands() == [
        ("cl/v1/agent/edge-1/CMD", p.Command(ts=int(harness.clock() * 1000), command="rebirth"))
    ]
    agent.skip()
    harness.send(agent.data("gnb-1", cpu(0.6)), advance=1)
    assert harness.stats.seq_gaps == 2
    assert len(harness.publisher.sent) == 1  # rate-limited
    assert harness.stats.rebirths_suppressed == 1
    agent.skip()
    harness.send(agent.data("gnb-1", cpu(0.7)), advance=31)
    assert len(harness.publisher.sent) == 2


def test_redelivered_seq_is_not_a_gap(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1")
    message = agent.data("gnb-1", cpu(0.5))
    harness.send(message)
    harness.send(message)  # QoS 1 may deliver twice
    harness.send(agent.data("gnb-1", cpu(0.6)))
    assert harness.stats.seq_gaps == 0


def test_data_from_unknown_node_is_rejected_and_rebirth_requested(harness: Harness) -> None:
    agent = FakeNode("edge-9")
    agent.skip(40)  # the hub restarted while this agent kept going
    harness.send(agent.data("gnb-1", cpu(0.5)))
    harness.send(agent.data(None, cpu(0.5)))
    assert harness.stats.rejected["no_session"] == 2
    assert harness.snapshot().devices == ()
    assert [t for t, _ in harness.publisher.commands()] == ["cl/v1/agent/edge-9/CMD"]
    # The agent answers with its BIRTHs (same bdSeq, seq restarts) and data flows.
    _online(harness, agent, "gnb-1")
    harness.send(agent.data("gnb-1", cpu(0.5)))
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.5


def test_events_without_session_are_counted_ok_but_ask_for_rebirth(harness: Harness) -> None:
    kiosk = FakeNode("kiosk-1", NodeKind.KIOSK)
    harness.send(kiosk.event())
    assert harness.stats.messages[("EVENT", "ok")] == 1
    assert [t for t, _ in harness.publisher.commands()] == ["cl/v1/kiosk/kiosk-1/CMD"]


def test_rebirth_keeps_devices_but_new_session_waits_for_their_birth(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1")
    harness.send(agent.data("gnb-1", cpu(0.5)))
    # Rebirth on request: same bdSeq, devices stay online with their values meanwhile.
    harness.send(agent.birth(devices=["gnb-1"]))
    assert _device(harness, "gnb-1").online
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.5
    harness.send(agent.device_birth("gnb-1"))
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.5
    # A new connection whose old Will never arrived: the old session's devices are stale.
    agent.reconnect()
    harness.send(agent.birth(devices=["gnb-1"]))
    assert not _device(harness, "gnb-1").online
    assert harness.state.series == 0
    harness.send(agent.device_birth("gnb-1"))
    assert _device(harness, "gnb-1").online


def test_birth_forgets_devices_it_no_longer_lists(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1", "gnb-2")
    harness.send(agent.data("gnb-2", cpu(0.5)))
    harness.send(agent.birth(devices=["gnb-1"]))
    assert [d.id for d in harness.snapshot().devices] == ["gnb-1"]
    assert harness.state.series == 0


def test_series_cap_drops_new_series_and_counts_them() -> None:
    h = make_harness(max_series=2)
    agent = FakeNode()
    _online(h, agent, "gnb-1")
    h.send(agent.data("gnb-1", octets("eth0", 1), octets("eth1", 1), octets("eth2", 1)))
    h.send(agent.data("gnb-1", octets("eth0", 5), octets("eth3", 1)))
    assert h.state.series == 2
    assert h.stats.dropped["limit"] == 2
    assert h.value("gnb-1", "if_hc_in_octets", "eth0") == 5  # existing series still update
    # A death frees room for others.
    h.send(agent.device_death("gnb-1"))
    assert h.state.series == 0


def test_undeclared_samples_and_wrong_labels_are_dropped(harness: Harness) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1")
    harness.send(
        agent.data(
            "gnb-1",
            p.Sample(name="not_in_birth", value=1),
            p.Sample(name="if_hc_in_octets", value=1),  # missing ifname
            p.Sample(name="cpu_usage_ratio", value=1, labels={"core": "0"}),
            cpu(0.5),
        )
    )
    assert dict(harness.stats.dropped) == {"undeclared": 1, "labels": 2}
    assert harness.state.series == 1


@pytest.mark.parametrize(
    ("metric", "why"),
    [
        (p.MetricDef(name="device_up", type="gauge"), "collides"),
        (p.MetricDef(name="hub_nodes", type="gauge"), "collides"),
        (p.MetricDef(name="x", type="gauge", labels=["device"]), "reserved label"),
        (p.MetricDef(name="x", type="gauge", labels=["__name__"]), "reserved label"),
        (p.MetricDef(name="x_total", type="gauge"), "_total"),
        (p.MetricDef(name="x_bucket", type="gauge"), "suffix"),
        (p.MetricDef(name="x", type="gauge", labels=["a", "a"]), "repeats"),
    ],
)
def test_unsafe_metric_definitions_are_refused(
    harness: Harness, metric: p.MetricDef, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    agent = FakeNode()
    harness.send(agent.birth(devices=["gnb-1"]))
    harness.send(agent.device_birth("gnb-1", metrics=[metric, p.MetricDef(name="ok_ratio", type="gauge")]))
    assert set(_device(harness, "gnb-1").defs) == {"ok_ratio"}
    assert why in caplog.text


def test_device_moved_to_another_agent(harness: Harness) -> None:
    old, new = FakeNode("edge-1"), FakeNode("edge-2")
    _online(harness, old, "gnb-1")
    _online(harness, new, "gnb-1")
    harness.send(new.data("gnb-1", cpu(0.3)))
    harness.send(old.data("gnb-1", cpu(0.9)))  # the old owner no longer speaks for it
    harness.send(old.device_death("gnb-1"))
    harness.send(old.death())
    device = _device(harness, "gnb-1")
    assert (device.node, device.online) == ("edge-2", True)
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.3
    assert harness.stats.rejected["not_owner"] == 1


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "verb"),
    [
        ("cl/v1/agent/edge-1/DATA", b"{not json", "json", "DATA"),
        ("cl/v1/agent/edge-1/DATA", b'{"ts": 1, "seq": 1}', "schema", "DATA"),
        ("cl/v1/agent/edge-1/DATA", b'{"ts": 1, "seq": 1, "metrics": [], "extra": 1}', "schema", "DATA"),
        ("cl/v1/robot/edge-1/DATA", b"{}", "topic", "DATA"),
        ("cl/v1/agent/edge-1/DATA/a/b", b"{}", "topic", "DATA"),
        ("cl/v1/agent/-bad/BIRTH", b"{}", "topic", "BIRTH"),
        ("cl/v1/agent/edge-1/NOPE", b"{}", "topic", "unknown"),
        ("cl/v1/agent/edge-1/DATA", b" " * (256 * 1024 + 1), "too_large", "DATA"),
        (HUB_STATE_TOPIC, b"offline", "json", "STATE"),
    ],
)
def test_malformed_messages_are_rejected_by_reason(
    harness: Harness, topic: str, payload: bytes, reason: str, verb: str
) -> None:
    harness.send((topic, payload))
    assert dict(harness.stats.rejected) == {reason: 1}
    assert harness.stats.messages[(verb, "rejected")] == 1


def test_rejects_are_logged_at_most_once_per_interval(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(50):
        harness.send(("cl/v1/agent/edge-1/DATA", b"{"), advance=0.01)
    harness.send(("cl/v1/agent/edge-1/DATA", b"{"), advance=10)
    lines = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert len(lines) == 2
    assert "49 more json rejects not logged" in lines[1]


def test_own_state_offline_triggers_reassert(harness: Harness) -> None:
    seen: list[tuple[HubState, bool]] = []
    harness.dispatcher.on_offline_state = lambda state, retained: seen.append((state, retained))
    for online in (True, False):
        payload = codec.encode(HubState(online=online, ts=1))
        harness.dispatcher.handle(Raw(HUB_STATE_TOPIC, payload, harness.clock()))
    assert seen == [(HubState(online=False, ts=1), False)]
    assert harness.stats.messages[("STATE", "ok")] == 2


def test_a_handler_bug_costs_one_message_not_ingest(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = FakeNode()
    _online(harness, agent, "gnb-1")

    def boom(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(harness.state, "apply", boom)
    harness.send(agent.data("gnb-1", cpu(0.5)))
    monkeypatch.undo()
    harness.send(agent.data("gnb-1", cpu(0.6)))
    assert harness.stats.rejected["internal"] == 1
    assert harness.value("gnb-1", "cpu_usage_ratio") == 0.6
