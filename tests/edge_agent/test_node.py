"""The session and the delivery without a broker: births, deaths, seq, outbox replay, window, rate, PUBACK."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest

from contract.codec import decode
from contract.payloads import Alarm, Data, DeviceBirth, DeviceDeath, Event, MetricDef, NodeBirth, Sample
from edge_agent.delivery import Delivery
from edge_agent.node import NodeSession
from edge_agent.outbox import Outbox
from edge_agent.poller import DeviceInfo
from edge_agent.store import Store
from tests.edge_agent.conftest import FakeClock

NODE = "edge-t1"
INFO = DeviceInfo(
    kind="gnb",
    labels={"county": "巴州区"},
    properties={"sys_name": "gnb-0001"},
    metrics=[MetricDef(name="if_hc_in_octets", type="counter", labels=["ifname"])],
)


@dataclass
class FakeWire:
    """A broker connection: records what is published (decoded by the real codec), acks on demand."""

    sent: list[tuple[str, msgspec.Struct, int]] = field(default_factory=list)
    unacked: list[int] = field(default_factory=list)
    next_mid: int = 1

    def publish(self, topic: str, payload: bytes) -> int:
        parsed, message = decode(topic, payload)  # what the hub would see
        assert str(parsed) == topic
        mid = self.next_mid
        self.next_mid += 1
        self.sent.append((topic, message, mid))
        self.unacked.append(mid)
        return mid

    def take(self) -> list[tuple[str, msgspec.Struct]]:
        sent, self.sent = self.sent, []
        return [(t, m) for t, m, _ in sent]

    def mids(self) -> list[int]:
        return [mid for _, _, mid in self.sent]


@dataclass
class Rig:
    session: NodeSession
    delivery: Delivery
    outbox: Outbox
    wire: FakeWire
    clock: FakeClock

    def start(self, bd_seq: int = 1) -> None:
        self.wire = FakeWire()
        self.session.start(bd_seq, self.wire.publish)

    async def ack_all(self) -> None:
        mids, self.wire.unacked = self.wire.unacked, []
        for mid in mids:
            self.delivery.acked(mid)
        await asyncio.sleep(0)  # the batched delete runs on the next loop turn


@pytest.fixture
def rig(tmp_path: Path, clock: FakeClock) -> Rig:
    outbox = Outbox(Store(tmp_path / "edge.db"), clock, max_bytes=10**9)
    holder: list[NodeSession] = []
    # The session is made after the delivery it uses, hence the late-bound stamp.
    delivery = Delivery(
        outbox,
        clock,
        stamp=lambda m, h: holder[0].stamp(m, h),  # noqa: PLW0108
        window=5,
        replay_rate=2.0,
    )
    session = NodeSession(
        NODE, version="1.2.3", devices=["gnb-0001", "ups-0001"], delivery=delivery, wall=clock.wall_ms
    )
    holder.append(session)
    return Rig(session, delivery, outbox, FakeWire(), clock)


def _data(value: int) -> list[Sample]:
    return [Sample(name="if_hc_in_octets", value=value, labels={"ifname": "eth0"})]


def _where(topic: str) -> str:
    return topic.split("/", 4)[-1]


async def test_a_session_births_the_node_then_known_devices(rig: Rig) -> None:
    rig.session.device_up("gnb-0001", INFO)  # polled before the session began
    rig.session.device_down("ups-0001", "timeout")
    rig.start(bd_seq=7)
    sent = rig.wire.take()
    assert [_where(t) for t, _ in sent] == ["BIRTH", "BIRTH/gnb-0001", "DEATH/ups-0001"]
    birth = sent[0][1]
    assert isinstance(birth, NodeBirth)
    assert (birth.seq, birth.bd_seq, birth.version, birth.devices) == (
        0,
        7,
        "1.2.3",
        ["gnb-0001", "ups-0001"],
    )
    assert isinstance(sent[1][1], DeviceBirth)
    assert sent[1][1].seq == 1
    assert isinstance(sent[2][1], DeviceDeath)


async def test_device_birth_and_death_are_sent_once_per_change(rig: Rig) -> None:
    rig.start()
    rig.wire.take()
    session = rig.session
    session.device_up("gnb-0001", INFO)
    session.device_data("gnb-0001", 1, _data(10))
    session.device_up("gnb-0001", INFO)  # same info: no new BIRTH
    session.device_down("gnb-0001", "timeout")
    session.device_down("gnb-0001", "timeout")  # still down: no second DEATH
    session.device_up("gnb-0001", INFO)  # back: BIRTH again
    changed = DeviceInfo(INFO.kind, INFO.labels, {"sys_name": "renamed"}, INFO.metrics)
    session.device_up("gnb-0001", changed)  # properties changed: BIRTH again
    kinds = [(_where(t).split("/")[0], type(m).__name__) for t, m in rig.wire.take()]
    assert kinds == [
        ("BIRTH", "DeviceBirth"),
        ("DATA", "Data"),
        ("DEATH", "DeviceDeath"),
        ("BIRTH", "DeviceBirth"),
        ("BIRTH", "DeviceBirth"),
    ]


async def test_everything_waits_in_the_outbox_and_replays_in_order_after_the_births(rig: Rig) -> None:
    session = rig.session
    session.device_up("gnb-0001", INFO)
    for value in (100, 200, 300):
        session.device_data("gnb-0001", value, _data(value))
    session.device_alarm("gnb-0001", 250, "link_down", "raised", resource="xgei-0/0/1")
    session.device_event("gnb-0001", 260, "device_reboot", {"uptime_seconds": 3})
    assert rig.outbox.depth == 5

    rig.start(bd_seq=2)
    session.device_data("gnb-0001", 400, _data(400))  # live, while the backlog replays
    sent = rig.wire.take()
    assert [_where(t) for t, _ in sent][:2] == ["BIRTH", "BIRTH/gnb-0001"]
    # Live first into the window, then the backlog oldest first, at the replay rate (2/s, burst 2).
    rest = sent[2:]
    assert [(type(m).__name__, getattr(m, "ts", None)) for _, m in rest] == [
        ("Data", 100),
        ("Data", 200),
        ("Data", 400),
    ]
    assert [m.historical for _, m in rest] == [True, True, False]  # type: ignore[attr-defined]
    assert [m.seq for _, m in sent] == [0, 1, 2, 3, 4]  # type: ignore[attr-defined]
    later: list[tuple[str, msgspec.Struct]] = []
    for _ in range(2):
        rig.clock.advance(1.0)  # two more a second
        rig.delivery.pump()
        later += rig.wire.take()
    assert [type(m).__name__ for _, m in later] == ["Data", "Alarm"]  # and the window (5) is full
    await rig.ack_all()
    later += rig.wire.take()
    assert [type(m).__name__ for _, m in later] == ["Data", "Alarm", "Event"]
    assert all(m.historical for _, m in later)  # type: ignore[attr-defined]
    assert isinstance(later[1][1], Alarm)
    assert isinstance(later[2][1], Event)


async def test_only_a_puback_deletes_and_a_new_session_resends_with_a_new_seq(rig: Rig) -> None:
    rig.start()
    rig.session.device_up("gnb-0001", INFO)
    rig.wire.take()
    for value in range(8):
        rig.session.device_data("gnb-0001", value, _data(value))
    assert len(rig.wire.sent) == 5  # the window
    first_seqs = [m.seq for _, m, _ in rig.wire.sent]  # type: ignore[attr-defined]
    for mid in rig.wire.mids()[:2]:
        rig.delivery.acked(mid)
    await asyncio.sleep(0)
    assert rig.outbox.depth == 6
    assert len(rig.wire.sent) == 7  # two slots freed, two more sent

    # The connection drops: nothing is lost, nothing is resent by anyone but us.
    rig.session.stop()
    rig.start(bd_seq=2)
    for _ in range(5):
        rig.clock.advance(1.0)
        rig.delivery.pump()
    replay = [m for _, m in rig.wire.take() if isinstance(m, Data)]
    assert [m.ts for m in replay] == [2, 3, 4, 5, 6]  # window 5, oldest unacknowledged first
    assert all(m.historical for m in replay)
    assert [m.seq for m in replay] == [2, 3, 4, 5, 6]  # numbered in the new session, after its BIRTHs
    assert first_seqs == [2, 3, 4, 5, 6]  # the same numbers, because the same BIRTHs came first


async def test_seq_runs_across_topics_and_restarts_at_birth(rig: Rig) -> None:
    rig.start(bd_seq=1)
    rig.session.device_up("gnb-0001", INFO)
    rig.session.node_data([Sample(name="edge_outbox_depth", value=0)])
    rig.session.device_event("gnb-0001", 5, "device_reboot", {"uptime_seconds": 3})
    assert [getattr(m, "seq", None) for _, m in rig.wire.take()] == [0, 1, 2, 3]
    rig.session.rebirth()
    sent = rig.wire.take()
    assert isinstance(sent[0][1], NodeBirth)
    assert [getattr(m, "seq", None) for _, m in sent] == [0, 1]
    assert sent[0][1].bd_seq == 1  # a rebirth keeps the connection's bdSeq


def test_unknown_device_is_a_programming_error(rig: Rig) -> None:
    with pytest.raises(KeyError):
        rig.session.device_up("nope", INFO)
