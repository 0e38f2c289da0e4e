"""The poller against the fake transport: samples, fallbacks, wraps, reboots, failures, timing."""

from __future__ import annotations

import asyncio

import pytest

from edge_agent.counters import COUNTER32_MODULO
from edge_agent.errors import SnmpTimeout
from edge_agent.modules import load_modules
from edge_agent.poller import TargetPoller, phase_of
from edge_agent.snmp.fake import FakeTransport
from edge_agent.snmp.transport import SnmpType, SnmpValue, VarBind
from tests.edge_agent.conftest import FIXTURES, FakeClock, RecordingSink, collector, sample

UPTIME = "1.3.6.1.2.1.1.3.0"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"


def _poller(
    transport: FakeTransport,
    clock: FakeClock,
    modules: list[str],
    sink: RecordingSink | None = None,
    *,
    interval: float = 10.0,
    deadline: float = 8.0,
    phase: float = 0.0,
) -> tuple[TargetPoller, RecordingSink]:
    sink = sink or RecordingSink()
    loaded = load_modules(modules)
    poller = TargetPoller(
        device="dev-1",
        kind="gnb",
        labels={"county": "巴州区"},
        collector=collector([loaded[m] for m in modules], transport),
        sink=sink,
        interval=interval,
        deadline=deadline,
        phase=phase,
        clock=clock,
    )
    return poller, sink


def _tick(transport: FakeTransport, seconds: float) -> None:
    """Let the device's sysUpTime move on by ``seconds``."""
    current = transport.value(UPTIME)
    assert current is not None
    assert isinstance(current.value, int)
    transport.set(UPTIME, SnmpValue(SnmpType.TIMETICKS, current.value + round(seconds * 100)))


async def test_recorded_device_gives_birth_info_and_samples(
    linux_device: FakeTransport, clock: FakeClock
) -> None:
    poller, sink = _poller(linux_device, clock, ["system", "if_mib"])
    assert await poller.poll_once()
    assert sink.kinds() == ["up", "data"]
    info = sink.calls[0][2]
    assert info.kind == "gnb"
    assert info.labels == {"county": "巴州区"}
    assert info.properties["sys_name"] == "edge-test"
    assert info.properties["sys_object_id"] == "1.3.6.1.4.1.8072.3.2.10"
    assert "if_hc_in_octets" in {d.name for d in info.metrics}

    samples = sink.last_samples()
    expected_lo = linux_device.value(f"{IF_HC_IN_OCTETS}.1")
    assert expected_lo is not None
    assert sample(samples, "if_hc_in_octets", ifname="lo") == expected_lo.value
    assert sample(samples, "if_oper_status", ifname="lo", if_oper_status="up") == 1
    assert sample(samples, "if_oper_status", ifname="lo", if_oper_status="down") == 0
    assert sample(samples, "if_speed_bytes_per_second", ifname="lo") == 1_250_000
    assert sample(samples, "sys_uptime_seconds") == pytest.approx(538.26)
    # The 64-bit columns exist, so the 32-bit fallback is never walked.
    assert IF_IN_OCTETS not in linux_device.walked()
    assert linux_device.requests[0] == ("get", UPTIME)
    # Every metric column of the recording, several per GETBULK: far fewer PDUs than columns.
    assert linux_device.stats.requests <= 5


async def test_legacy_device_falls_back_to_32_bit_columns_and_extends_wraps(clock: FakeClock) -> None:
    device = FakeTransport.from_snmprec(FIXTURES / "gnb-legacy.snmprec")
    poller, sink = _poller(device, clock, ["system", "if_mib", "gnb_radio"])
    assert await poller.poll_once()
    first = sink.last_samples()
    # No ifName column: the label comes from ifDescr; no ifHCInOctets: ifInOctets stands in.
    assert sample(first, "if_hc_in_octets", ifname="backhaul0") == 4_294_967_000
    assert sample(first, "gnb_cell_rrc_conn_estab_att", cell="gnb-0042-c1") == 18211
    assert sample(first, "gnb_cell_prb_used_dl_ratio", cell="gnb-0042-c1") == pytest.approx(0.37)
    assert sample(first, "gnb_cell_oper_state", cell="gnb-0042-c2", gnb_cell_oper_state="disabled") == 1
    assert IF_IN_OCTETS in device.walked()

    # 15 s later ifInOctets has wrapped: 296 octets to 2**32, then 200 more.
    clock.advance(15)
    _tick(device, 15)
    device.set(f"{IF_IN_OCTETS}.1", SnmpValue(SnmpType.COUNTER32, 200))
    assert await poller.poll_once()
    second = sink.last_samples()
    assert sample(second, "if_hc_in_octets", ifname="backhaul0") == COUNTER32_MODULO + 200
    assert poller.collector.counters.wraps == 1
    assert "event" not in sink.kinds()


async def test_reboot_sends_an_event_and_counters_continue(
    linux_device: FakeTransport, clock: FakeClock
) -> None:
    poller, sink = _poller(linux_device, clock, ["system", "if_mib"])
    await poller.poll_once()
    before = sample(sink.last_samples(), "if_hc_in_octets", ifname="eth0")

    clock.advance(10)
    linux_device.set(UPTIME, SnmpValue(SnmpType.TIMETICKS, 500))  # up for 5 s: it rebooted
    linux_device.set(f"{IF_HC_IN_OCTETS}.4", SnmpValue(SnmpType.COUNTER64, 1234))
    await poller.poll_once()

    assert sink.kinds()[-3:] == ["up", "event", "data"]
    event, attrs = sink.calls[-2][2]
    assert event == "device_reboot"
    assert attrs["uptime_seconds"] == 5
    # No negative step (Prometheus would see a reset) and no spike: 1234 new octets.
    assert sample(sink.last_samples(), "if_hc_in_octets", ifname="eth0") == before + 1234
    assert poller.health.reboots == 1


async def test_failure_reports_down_and_recovery_reports_up(
    linux_device: FakeTransport, clock: FakeClock
) -> None:
    poller, sink = _poller(linux_device, clock, ["system"])
    linux_device.failure = SnmpTimeout("no response")
    assert not await poller.poll_once()
    assert not await poller.poll_once()
    assert sink.calls == [("down", "dev-1", "timeout"), ("down", "dev-1", "timeout")]
    assert poller.health.up is False
    assert poller.health.failures == 2
    assert linux_device.stats.timeouts == 2

    linux_device.failure = None
    assert await poller.poll_once()
    assert sink.kinds()[-2:] == ["up", "data"]
    assert poller.health.up is True


class _SlowTransport(FakeTransport):
    """A device that takes (real) time to answer a GET."""

    delay = 0.5

    async def get(self, oids: list[str]) -> list[VarBind]:
        await asyncio.sleep(self.delay)
        return await super().get(oids)


async def test_deadline_abandons_a_slow_poll(clock: FakeClock) -> None:
    slow = _SlowTransport({UPTIME: SnmpValue(SnmpType.TIMETICKS, 1)})
    poller, sink = _poller(slow, clock, ["system"], interval=1.0, deadline=0.05)
    assert not await poller.poll_once()
    assert sink.calls == [("down", "dev-1", "deadline")]
    assert poller.health.errors == {"deadline": 1}


class _TimedTransport(FakeTransport):
    """Records the (fake) time of each poll; one poll can be made to take long."""

    def __init__(self, clock: FakeClock, values: dict[str, SnmpValue]) -> None:
        super().__init__(values)
        self.clock = clock
        self.polled_at: list[float] = []
        self.slow_poll: int | None = None
        self.enough = asyncio.Event()

    async def get(self, oids: list[str]) -> list[VarBind]:
        if oids[0] == UPTIME:
            self.polled_at.append(self.clock.now())
            if len(self.polled_at) - 1 == self.slow_poll:
                # The event loop was starved: 25 s pass during one poll of a 10 s interval.
                self.clock.advance(25)
            if len(self.polled_at) >= 5:
                self.enough.set()
        return await super().get(oids)


async def test_polls_follow_the_grid_and_late_slots_are_skipped_not_bunched(clock: FakeClock) -> None:
    device = _TimedTransport(clock, {UPTIME: SnmpValue(SnmpType.TIMETICKS, 1)})
    device.slow_poll = 1
    poller, _ = _poller(device, clock, ["system"], interval=10.0, deadline=8.0, phase=0.7)
    start = clock.now()
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(device.enough.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    offsets = [round(t - start, 6) for t in device.polled_at[:5]]
    # Slot 1 ran long (to 35.7): slots 2 and 3 (20.7, 30.7) are skipped, the grid resumes at 40.7.
    assert offsets == [0.7, 10.7, 40.7, 50.7, 60.7]
    assert poller.health.skipped == 2


def test_phase_is_deterministic_and_within_the_jitter() -> None:
    phases = {device: phase_of(device, 60.0, 0.1) for device in ("gnb-0001", "gnb-0002", "ups-0001")}
    assert phases == {device: phase_of(device, 60.0, 0.1) for device in phases}
    assert all(0 <= p < 6.0 for p in phases.values())
    assert len(set(phases.values())) == 3
    assert phase_of("gnb-0001", 60.0, 0.0) == 0
