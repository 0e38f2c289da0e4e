"""One long-lived task per target: poll on a fixed grid, never overlap, report up/down.

Timing: target ``i`` polls at ``start + phase_i + k * interval``, where the phase
is a deterministic fraction of the interval derived from the device id (so a
restart keeps the spread and tests can predict it). Each poll runs under a
deadline shorter than the interval, so one slow device cannot make its next
poll overlap; if a poll still ends after its next slot (a starved event loop),
the missed slots are skipped and counted rather than run late in a burst.

Time is injected: ``clock`` (monotonic seconds), ``sleep`` and ``wall_ms``
(epoch milliseconds for payload timestamps), so tests drive the schedule.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from contract.payloads import MetricDef, Sample
from edge_agent.collect import DeviceCollector
from edge_agent.counters import UptimeTracker
from edge_agent.errors import SnmpError
from edge_agent.snmp.transport import SnmpTransport

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
WallMs = Callable[[], int]


def wall_ms() -> int:
    """UTC milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What a device BIRTH says; a change re-births the device."""

    kind: str
    labels: dict[str, str]
    properties: dict[str, str]
    metrics: list[MetricDef]


class DeviceSink(Protocol):
    """Where a poller reports (the node session)."""

    def device_up(self, device: str, info: DeviceInfo) -> None:
        """The device answered this cycle."""

    def device_down(self, device: str, reason: str) -> None:
        """The device did not answer this cycle."""

    def device_data(self, device: str, ts: int, samples: list[Sample]) -> None:
        """Samples of one successful cycle."""

    def device_event(
        self, device: str, ts: int, event: str, attrs: dict[str, str | int | float | bool]
    ) -> None:
        """Something that happened once (a reboot)."""


@dataclass(slots=True)
class PollHealth:
    """Per-target numbers for the agent's own metrics."""

    cycles: int = 0
    failures: int = 0
    skipped: int = 0
    reboots: int = 0
    last_duration: float = 0.0
    up: bool | None = None
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, reason: str) -> None:
        """Count a poll-level error (the transport counts its own)."""
        self.errors[reason] = self.errors.get(reason, 0) + 1


def phase_of(device: str, interval: float, jitter: float) -> float:
    """Deterministic start offset of a device within ``jitter * interval``."""
    return zlib.crc32(device.encode()) / 2**32 * jitter * interval


class TargetPoller:
    """Polls one device forever (``run``) or once (``poll_once``)."""

    def __init__(
        self,
        *,
        device: str,
        kind: str,
        labels: dict[str, str],
        collector: DeviceCollector,
        transport: SnmpTransport,
        sink: DeviceSink,
        interval: float,
        deadline: float,
        phase: float = 0.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall: WallMs = wall_ms,
    ) -> None:
        if not 0 < deadline < interval:
            msg = f"{device}: deadline {deadline} must be in (0, interval={interval})"
            raise ValueError(msg)
        self.device = device
        self.kind = kind
        self.labels = labels
        self.collector = collector
        self.transport = transport
        self.sink = sink
        self.interval = interval
        self.deadline = deadline
        self.phase = phase
        self.health = PollHealth()
        self._uptime = UptimeTracker()
        self._clock = clock
        self._sleep = sleep
        self._wall = wall

    async def run(self) -> None:
        """Poll on the grid until cancelled."""
        next_at = self._clock() + self.phase
        while True:
            delay = next_at - self._clock()
            if delay > 0:
                await self._sleep(delay)
            await self.poll_once()
            next_at += self.interval
            late = self._clock() - next_at
            if late >= 0:
                missed = int(late // self.interval) + 1
                self.health.skipped += missed
                next_at += missed * self.interval
                log.warning(
                    "%s: poll ended %.1f s past its next slot; skipped %d cycle(s)", self.device, late, missed
                )

    async def poll_once(self) -> bool:
        """One cycle under the deadline; reports to the sink. True when the device answered."""
        started = self._clock()
        ts = self._wall()
        self.health.cycles += 1
        try:
            async with asyncio.timeout(self.deadline):
                snap = await self.collector.fetch(self.transport)
        except TimeoutError:
            return self._failed("deadline", started, f"no complete answer within {self.deadline:.1f} s")
        except SnmpError as exc:
            return self._failed(exc.reason, started, str(exc))
        ticks = snap.uptime_ticks
        previous = self._uptime.last_ticks
        rebooted = ticks is not None and self._uptime.observe(ticks, self._clock())
        samples = self.collector.samples(snap, rebooted=rebooted)
        for partial in snap.errors:
            log.info("%s: partial failure: %s", self.device, partial)
        info = DeviceInfo(
            kind=self.kind,
            labels=self.labels,
            properties=self.collector.properties(snap),
            metrics=self.collector.metric_defs(),
        )
        self.health.up = True
        self.health.last_duration = self._clock() - started
        self.sink.device_up(self.device, info)
        if rebooted:
            self.health.reboots += 1
            log.warning("%s: rebooted (sysUpTime %s -> %s)", self.device, previous, ticks)
            attrs: dict[str, str | int | float | bool] = {"uptime_seconds": (ticks or 0) / 100}
            if previous is not None:
                attrs["previous_uptime_seconds"] = previous / 100
            self.sink.device_event(self.device, ts, "device_reboot", attrs)
        self.sink.device_data(self.device, ts, samples)
        return True

    def _failed(self, reason: str, started: float, detail: str) -> bool:
        if reason == "deadline":
            self.health.error(reason)
        self.health.failures += 1
        self.health.last_duration = self._clock() - started
        if self.health.up is not False:
            log.warning("%s: not answering (%s): %s", self.device, reason, detail)
        self.health.up = False
        self.sink.device_down(self.device, reason)
        return False
