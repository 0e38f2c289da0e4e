"""One long-lived task per target: poll on a fixed grid, never overlap, report up/down.

Timing: target ``i`` polls at ``start + phase_i + k * interval``, where the phase
is a deterministic fraction of the interval derived from the device id (so a
restart keeps the spread and tests can predict it). Each poll runs under a
deadline shorter than the interval, so one slow device cannot make its next
poll overlap; if a poll still ends after its next slot (a starved event loop),
the missed slots are skipped and counted rather than run late in a burst.

Time comes from an injected :class:`~edge_agent.clock.Clock`, so tests drive
the schedule (or run it accelerated).
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from contract.payloads import MetricDef, Sample
from edge_agent import health
from edge_agent.clock import Clock
from edge_agent.collect import DeviceCollector
from edge_agent.errors import SnmpError

log = logging.getLogger(__name__)


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
    partial: int = 0
    """Cycles in which some request failed but the device answered."""
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
        sink: DeviceSink,
        interval: float,
        deadline: float,
        clock: Clock,
        phase: float = 0.0,
        save_state: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        if not 0 < deadline < interval:
            msg = f"{device}: deadline {deadline} must be in (0, interval={interval})"
            raise ValueError(msg)
        self.device = device
        self.kind = kind
        self.labels = labels
        self.collector = collector
        self.sink = sink
        self.interval = interval
        self.deadline = deadline
        self.phase = phase
        self.health = PollHealth()
        self._clock = clock
        self._save_state = save_state

    @property
    def transport(self) -> Any:
        """The target's transport (its stats feed the health metrics)."""
        return self.collector.walker.transport

    async def run(self) -> None:
        """Poll on the grid until cancelled."""
        clock = self._clock
        next_at = clock.now() + self.phase
        while True:
            delay = next_at - clock.now()
            if delay > 0:
                await clock.sleep(delay)
            await self.poll_once()
            next_at += self.interval
            late = clock.now() - next_at
            if late >= 0:
                missed = int(late // self.interval) + 1
                self.health.skipped += missed
                next_at += missed * self.interval
                log.warning(
                    "%s: poll ended %.1f s past its next slot; skipped %d cycle(s)", self.device, late, missed
                )

    async def poll_once(self) -> bool:
        """One cycle under the deadline; reports to the sink. True when the device answered."""
        clock = self._clock
        started = clock.now()
        ts = clock.wall_ms()
        self.health.cycles += 1
        try:
            async with asyncio.timeout(clock.real(self.deadline)):
                cycle = await self.collector.poll(ts / 1000)
        except TimeoutError:
            return self._failed("deadline", started, f"no complete answer within {self.deadline:.1f} s")
        except SnmpError as exc:
            return self._failed(exc.reason, started, str(exc))
        if cycle.errors:
            self.health.partial += 1
            for partial in cycle.errors:
                log.info("%s: partial failure: %s", self.device, partial)
                if partial.reason not in ("timeout", "too_big", "gen_err", "no_such_name", "agent_error"):
                    self.health.error(partial.reason)  # the transport has not counted these
        info = DeviceInfo(
            kind=self.kind,
            labels=self.labels,
            properties=cycle.properties,
            metrics=[*self.collector.metric_defs(), *health.DEVICE_METRICS],
        )
        self.health.up = True
        self.health.last_duration = clock.now() - started
        self.sink.device_up(self.device, info)
        if cycle.rebooted:
            self.health.reboots += 1
            log.warning(
                "%s: rebooted (sysUpTime %s -> %s)", self.device, cycle.previous_ticks, cycle.uptime_ticks
            )
            attrs: dict[str, str | int | float | bool] = {"uptime_seconds": (cycle.uptime_ticks or 0) / 100}
            if cycle.previous_ticks is not None:
                attrs["previous_uptime_seconds"] = cycle.previous_ticks / 100
            self.sink.device_event(self.device, ts, "device_reboot", attrs)
        self.sink.device_data(self.device, ts, [*cycle.samples, *health.device_samples(self)])
        if self._save_state is not None:
            self._save_state(self.device, self.collector.to_state())
        return True

    def _failed(self, reason: str, started: float, detail: str) -> bool:
        if reason == "deadline":
            self.health.error(reason)
        self.health.failures += 1
        self.health.last_duration = self._clock.now() - started
        if self.health.up is not False:
            log.warning("%s: not answering (%s): %s", self.device, reason, detail)
        self.health.up = False
        self.sink.device_down(self.device, reason)
        return False
