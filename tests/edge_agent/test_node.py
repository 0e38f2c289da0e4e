"""The MQTT session without a broker: births, deaths, seq, offline buffering and replay."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec
import pytest

from contract.codec import decode, encode
from contract.payloads import Data, DeviceBirth, DeviceDeath, Event, MetricDef, NodeBirth, Sample
from edge_agent.node import NodeSession
from edge_agent.outbox import MemoryOutbox
from edge_agent.poller import DeviceInfo

NODE = "edge-t1"
INFO = DeviceInfo(
    kind="gnb",
    labels={"county": "巴州区"},
    properties={"sys_name": "gnb-0001"},
    metrics=[MetricDef(name="if_hc_in_octets", type="counter", labels=["ifname"])],
)


@dataclass
class FakeBroker:
    """Accepts messages while ``up``; keeps them decoded through the real codec."""

    up: bool = True
    sent: list[tuple[str, msgspec.Struct]] = field(default_factory=list)

    def publish(self, topic: str, message: msgspec.Struct) -> bool:
        if not self.up:
            return False
        parsed, decoded = decode(topic, encode(message))  # what the hub would see
        assert str(parsed) == topic
        self.sent.append((topic, decoded))
        return True

    def take(self) -> list[tuple[str, msgspec.Struct]]:
        sent, self.sent = self.sent, []
        return sent


def _session(broker: FakeBroker, max_topics: int = 100) -> tuple[NodeSession, MemoryOutbox]:
    outbox = MemoryOutbox(broker, max_topics)
    session = NodeSession(
        NODE,
        version="1.2.3",
        devices=["gnb-0001", "ups-0001"],
        outbox=outbox,
        labels={"county": "巴州区"},
        wall=lambda: 1_700_000_000_000,
    )
    return session, outbox


def _data(value: int) -> list[Sample]:
    return [Sample(name="if_hc_in_octets", value=value, labels={"ifname": "eth0"})]


def test_connect_births_the_node_then_known_devices() -> None:
    broker = FakeBroker()
    session, _ = _session(broker)
    session.device_up("gnb-0001", INFO)  # polled before the broker answered
    session.device_down("ups-0001", "timeout")
    assert broker.take() == []

    session.connected(bd_seq=7)
    sent = broker.take()
    topics = [t for t, _ in sent]
    assert topics == [
        f"cl/v1/agent/{NODE}/BIRTH",
        f"cl/v1/agent/{NODE}/BIRTH/gnb-0001",
        f"cl/v1/agent/{NODE}/DEATH/ups-0001",
    ]
    birth = sent[0][1]
    assert isinstance(birth, NodeBirth)
    assert (birth.seq, birth.bd_seq, birth.version) == (0, 7, "1.2.3")
    assert birth.devices == ["gnb-0001", "ups-0001"]
    device_birth = sent[1][1]
    assert isinstance(device_birth, DeviceBirth)
    assert device_birth.seq == 1
    assert device_birth.properties == {"sys_name": "gnb-0001"}
    assert isinstance(sent[2][1], DeviceDeath)


def test_device_birth_and_death_are_sent_once_per_change() -> None:
    broker = FakeBroker()
    session, _ = _session(broker)
    session.connected(bd_seq=1)
    broker.take()
    session.device_up("gnb-0001", INFO)
    session.device_data("gnb-0001", 1, _data(10))
    session.device_up("gnb-0001", INFO)  # same info: no new BIRTH
    session.device_data("gnb-0001", 2, _data(20))
    session.device_down("gnb-0001", "timeout")
    session.device_down("gnb-0001", "timeout")  # still down: no second DEATH
    session.device_up("gnb-0001", INFO)  # back: BIRTH again
    changed = DeviceInfo(INFO.kind, INFO.labels, {"sys_name": "renamed"}, INFO.metrics)
    session.device_up("gnb-0001", changed)  # properties changed: BIRTH again
    kinds = [(t.rsplit("/", 2)[-2], type(m).__name__) for t, m in broker.take()]
    assert kinds == [
        ("BIRTH", "DeviceBirth"),
        ("DATA", "Data"),
        ("DATA", "Data"),
        ("DEATH", "DeviceDeath"),
        ("BIRTH", "DeviceBirth"),
        ("BIRTH", "DeviceBirth"),
    ]


def test_seq_runs_across_topics_and_restarts_at_birth() -> None:
    broker = FakeBroker()
    session, _ = _session(broker)
    session.connected(bd_seq=1)
    session.device_up("gnb-0001", INFO)
    session.node_data([Sample(name="edge_outbox_depth", value=0)])
    session.device_event("gnb-0001", 5, "device_reboot", {"uptime_seconds": 3})
    seqs = [getattr(m, "seq", None) for _, m in broker.take()]
    assert seqs == [0, 1, 2, 3]
    session.rebirth()
    sent = broker.take()
    assert isinstance(sent[0][1], NodeBirth)
    assert [getattr(m, "seq", None) for _, m in sent] == [0, 1]
    assert sent[0][1].bd_seq == 1  # a rebirth keeps the connection's bdSeq


def test_offline_keeps_the_newest_cycle_per_device_and_replays_it_as_historical() -> None:
    broker = FakeBroker()
    session, outbox = _session(broker)
    session.connected(bd_seq=1)
    session.device_up("gnb-0001", INFO)
    broker.take()

    broker.up = False
    session.disconnected()
    for value in (100, 200, 300):
        session.device_data("gnb-0001", value, _data(value))
    session.node_data([Sample(name="edge_outbox_depth", value=1)])
    session.device_event("gnb-0001", 1, "device_reboot", {})
    assert outbox.depth == 2  # one per topic: gnb-0001's DATA and the node's DATA
    assert outbox.superseded == 2
    assert outbox.dropped == 1  # the event

    broker.up = True
    session.connected(bd_seq=2)
    sent = broker.take()
    assert [t.split("/", 4)[-1] for t, _ in sent] == ["BIRTH", "BIRTH/gnb-0001", "DATA/gnb-0001", "DATA"]
    replayed = sent[2][1]
    assert isinstance(replayed, Data)
    assert replayed.historical is True
    assert replayed.ts == 300
    assert replayed.metrics == _data(300)
    assert [getattr(m, "seq", None) for _, m in sent] == [0, 1, 2, 3]  # renumbered in the new session
    assert outbox.depth == 0


def test_offline_buffer_is_bounded() -> None:
    broker = FakeBroker(up=False)
    outbox = MemoryOutbox(broker, max_topics=2)
    for device in ("a", "b", "c"):
        outbox.publish(f"cl/v1/agent/{NODE}/DATA/{device}", Data(ts=1, seq=1, metrics=[]))
    assert outbox.depth == 2
    assert outbox.dropped == 1
    assert [t.rsplit("/", 1)[-1] for t, _ in outbox.take()] == ["b", "c"]


def test_events_are_contract_events() -> None:
    broker = FakeBroker()
    session, _ = _session(broker)
    session.connected(bd_seq=1)
    session.device_up("gnb-0001", INFO)
    session.device_event("gnb-0001", 5, "device_reboot", {"uptime_seconds": 3.5})
    topic, event = broker.take()[-1]
    assert topic == f"cl/v1/agent/{NODE}/EVENT/gnb-0001"
    assert isinstance(event, Event)
    assert event.attrs == {"uptime_seconds": 3.5}


def test_unknown_device_is_a_programming_error() -> None:
    session, _ = _session(FakeBroker())
    with pytest.raises(KeyError):
        session.device_up("nope", INFO)
