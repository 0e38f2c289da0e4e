"""One simulator process: v2c socket(s), optional v3 engine, control API, one clock.

:class:`Simulator` is an async context manager so tests can run it in-process:

    async with Simulator(fleet, select_devices(fleet, first_gnbs=3), SimOptions(port=0)) as sim:
        ... sim.ports.v2c ...

Everything binds to loopback by default; port 0 picks a free port, and the
bound ports are in :attr:`Simulator.ports` (and in the ``--ready-file``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from contract.fleet import Device, Fleet
from simulator.clock import SimClock
from simulator.control import create_app
from simulator.faults import FaultInjector
from simulator.registry import DeviceSet
from simulator.traps import TrapSender
from simulator.v2c_agent import DEFAULT_MAX_MSG_SIZE, V2cProtocol, V2cResponder
from simulator.v3_agent import V3Agent, V3User


@dataclass(frozen=True, slots=True)
class SimOptions:
    """How and where to serve. ``None`` for a port disables that listener; ``0`` picks a free port."""

    host: str = "127.0.0.1"
    port: int = 16100
    v3_port: int | None = None
    control_port: int | None = 16180
    community: str = "public"
    v3_users: tuple[V3User, ...] = (V3User(),)
    max_msg_size: int = DEFAULT_MAX_MSG_SIZE
    port_per_device: bool = False
    trap_target: tuple[str, int] | None = None
    """Where fault notifications go (host, port); None sends none."""


@dataclass(slots=True)
class SimPorts:
    """Where the simulator listens once started."""

    host: str
    v2c: int | None = None
    v3: int | None = None
    control: int | None = None
    devices: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Simulator:
    """Serve a subset of a fleet over SNMP with a control API; see the module docstring."""

    def __init__(
        self, fleet: Fleet, devices: Sequence[Device], options: SimOptions, clock: SimClock | None = None
    ) -> None:
        self.options = options
        self.clock = clock or SimClock()
        self.devices = DeviceSet(fleet, devices, now=self.clock.now(), community=options.community)
        self.responder = V2cResponder(self.devices, self.clock, max_msg_size=options.max_msg_size)
        self.traps = (
            TrapSender(*options.trap_target, options.community, self.clock) if options.trap_target else None
        )
        self.injector = FaultInjector(self.devices, self.clock, self.traps)
        self._battery_watch: asyncio.Task[None] | None = None
        self.ports = SimPorts(host=options.host)
        self._protocols: list[V2cProtocol] = []
        self._v3: V3Agent | None = None
        self._runner: web.AppRunner | None = None

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v2c": self.responder.stats.as_dict(),
            "devices": len(self.devices),
            # Process CPU time lets a load generator report var-binds per CPU-second of the simulator.
            "cpu_s": time.process_time(),
        }
        if self._v3 is not None:
            out["v3"] = asdict(self._v3.stats)
        return out

    async def start(self) -> SimPorts:
        """Bind every listener; on failure, close what was opened and re-raise."""
        try:
            await self._start_v2c()
            if self.options.v3_port is not None:
                self._v3 = V3Agent(self.devices, self.clock, self.options.v3_users)
                self.ports.v3 = await self._v3.start(self.options.host, self.options.v3_port)
            if self.options.control_port is not None:
                await self._start_control(self.options.control_port)
            if self.traps is not None:
                self._battery_watch = asyncio.create_task(self.traps.watch_batteries(self.devices.devices))
        except BaseException:
            await self.close()
            raise
        return self.ports

    async def _start_v2c(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.options.host, self.options.port
        if not self.options.port_per_device:
            transport, proto = await loop.create_datagram_endpoint(
                lambda: V2cProtocol(self.responder), local_addr=(host, port)
            )
            self._protocols.append(proto)
            self.ports.v2c = transport.get_extra_info("sockname")[1]
            return
        for n, dev in enumerate(self.devices.devices):
            entry = (dev, self.devices.layout_of[dev.id])
            transport, proto = await loop.create_datagram_endpoint(
                lambda e=entry: V2cProtocol(self.responder, e),  # type: ignore[misc]
                local_addr=(host, port + n if port else 0),
            )
            self._protocols.append(proto)
            self.ports.devices[dev.id] = transport.get_extra_info("sockname")[1]

    async def _start_control(self, port: int) -> None:
        app = create_app(self.devices, self.clock, self.injector, self.stats)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.options.host, port).start()
        self.ports.control = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._battery_watch is not None:
            self._battery_watch.cancel()
            self._battery_watch = None
        if self.traps is not None:
            self.traps.close()
        for proto in self._protocols:
            proto.close()
        self._protocols.clear()
        if self._v3 is not None:
            self._v3.close()
            self._v3 = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def ready_info(ports: SimPorts, devices: int) -> dict[str, Any]:
    """The ready file's content: ``port`` (v2c, null with --port-per-device), ``v3_port``,
    ``control_port`` (null when off), ``device_ports`` (per-device mode), ``devices``, ``pid``."""
    return {
        "pid": os.getpid(),
        "host": ports.host,
        "port": ports.v2c,
        "v3_port": ports.v3,
        "control_port": ports.control,
        "devices": devices,
        "device_ports": ports.devices,
    }


def write_ready_file(path: str | Path, ports: SimPorts, devices: int) -> None:
    """Atomically write :func:`ready_info` as JSON, so a launcher can poll for the file."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    data = ready_info(ports, devices)
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(p)
