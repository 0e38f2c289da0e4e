"""The SNMPv3 command responder, built on pysnmp 7's agent side.

pysnmp handles USM (authentication, privacy, engine discovery, time
windows); each simulated device is registered as an SNMP context whose name is
the device id, with a :class:`DeviceMibController` that reads the same
:class:`~simulator.mib.Layout` and device state as the v2c agent, so both
protocols always report the same values.

The stock pysnmp responders cannot delay or withhold an answer, which the
``slow`` and ``down`` faults need, so :class:`DeviceCommandResponder` replaces
their small ``handle_management_operation`` bodies and defers the response.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import cmdrsp, context
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c
from pysnmp.smi import instrum

from simulator.clock import SimClock
from simulator.device import SimDevice
from simulator.mib import Layout, Value
from simulator.registry import DeviceSet
from snmpcodec.ber import (
    COUNTER32,
    COUNTER64,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    TIMETICKS,
    Oid,
    wrap_integer,
)

log = logging.getLogger(__name__)

AUTH_PROTOCOLS: Final = {"SHA": config.USM_AUTH_HMAC96_SHA, "SHA256": config.USM_AUTH_HMAC192_SHA256}
# pysnmp's own cap on GETBULK var-binds, which keeps a v3 response within one datagram.
MAX_BULK_VARBINDS: Final = 64

_SMI_TYPES: Final[dict[int, Any]] = {
    INTEGER: rfc1902.Integer32,
    OCTET_STRING: rfc1902.OctetString,
    OBJECT_IDENTIFIER: rfc1902.ObjectIdentifier,
    IP_ADDRESS: rfc1902.IpAddress,
    COUNTER32: rfc1902.Counter32,
    GAUGE32: rfc1902.Gauge32,
    TIMETICKS: rfc1902.TimeTicks,
    COUNTER64: rfc1902.Counter64,
}


@dataclass(frozen=True, slots=True)
class V3User:
    """A USM user: authPriv with ``auth`` (SHA or SHA256) and AES-128 privacy."""

    name: str = "simuser"
    auth: str = "SHA"
    auth_key: str = "authpass123"
    priv_key: str = "privpass123"


@dataclass(slots=True)
class V3Stats:
    requests: int = 0
    not_responding: int = 0
    unknown_context: int = 0


def _smi(tag: int, value: Value) -> Any:
    if isinstance(value, int):
        value = wrap_integer(tag, value)
    return _SMI_TYPES[tag](value)


class DeviceMibController(instrum.AbstractMibInstrumController):  # type: ignore[misc]
    """pysnmp MIB instrumentation for one device, registered under its context name."""

    def __init__(self, device: SimDevice, layout: Layout[SimDevice], clock: SimClock) -> None:
        self.device = device
        self.layout = layout
        self.clock = clock

    def get(self, oids: Sequence[Oid], t: float) -> list[tuple[Any, Any]]:
        out: list[tuple[Any, Any]] = []
        for oid in oids:
            pos = self.layout.find(oid)
            if pos is None:
                missing = self.layout.missing_type(oid)
                out.append(
                    (
                        rfc1902.ObjectName(oid),
                        rfc1905.noSuchInstance if missing == NO_SUCH_INSTANCE else rfc1905.noSuchObject,
                    )
                )
            else:
                out.append((rfc1902.ObjectName(oid), self._value(pos, t)))
        return out

    def get_next(self, oids: Sequence[Oid], t: float) -> list[tuple[Any, Any]]:
        out: list[tuple[Any, Any]] = []
        for oid in oids:
            pos = self.layout.next_position(oid)
            if pos >= len(self.layout):
                out.append((rfc1902.ObjectName(oid), rfc1905.endOfMibView))
            else:
                out.append((rfc1902.ObjectName(self.layout.oids[pos]), self._value(pos, t)))
        return out

    def _value(self, pos: int, t: float) -> Any:
        return _smi(self.layout.types[pos], self.layout.value(pos, self.device, t))

    # pysnmp's controller interface, for any caller other than our responder.
    def read_variables(self, *var_binds: Any, **_context: Any) -> list[tuple[Any, Any]]:
        return self.get([tuple(name) for name, _ in var_binds], self.clock.now())

    def read_next_variables(self, *var_binds: Any, **_context: Any) -> list[tuple[Any, Any]]:
        return self.get_next([tuple(name) for name, _ in var_binds], self.clock.now())


class DeviceCommandResponder(cmdrsp.CommandResponderBase):  # type: ignore[misc]
    """GET/GETNEXT/GETBULK for device contexts, honouring the down and slow faults."""

    SUPPORTED_PDU_TYPES = (
        rfc1905.GetRequestPDU.tagSet,
        rfc1905.GetNextRequestPDU.tagSet,
        rfc1905.GetBulkRequestPDU.tagSet,
    )

    def __init__(self, snmp_engine: Any, snmp_context: Any, clock: SimClock, stats: V3Stats) -> None:
        super().__init__(snmp_engine, snmp_context)
        self._clock = clock
        self._stats = stats
        self._deferred: dict[Any, asyncio.TimerHandle] = {}

    def handle_management_operation(
        self, snmp_engine: Any, state_ref: Any, context_name: Any, pdu: Any
    ) -> None:
        self._stats.requests += 1
        controller = self.snmpContext.context_names.get(bytes(context_name))
        if not isinstance(controller, DeviceMibController):
            # Only device contexts are served; the engine's own MIB stays private.
            self._stats.unknown_context += 1
            return
        t = self._clock.now()
        if not controller.device.responsive(t):
            self._stats.not_responding += 1
            return
        oids = [tuple(name) for name, _ in v2c.apiPDU.get_varbinds(pdu)]
        tag = pdu.tagSet
        if tag == rfc1905.GetRequestPDU.tagSet:
            var_binds = controller.get(oids, t)
        elif tag == rfc1905.GetNextRequestPDU.tagSet:
            var_binds = controller.get_next(oids, t)
        else:
            var_binds = self._bulk(controller, pdu, oids, t)
        delay = controller.device.delay_s
        if delay <= 0:
            self.send_varbinds(snmp_engine, state_ref, 0, 0, var_binds)
            return
        loop = asyncio.get_running_loop()
        self._deferred[state_ref] = loop.call_later(
            delay, self._send_later, snmp_engine, state_ref, var_binds
        )

    @staticmethod
    def _bulk(controller: DeviceMibController, pdu: Any, oids: list[Oid], t: float) -> list[tuple[Any, Any]]:
        n = min(max(int(v2c.apiBulkPDU.get_non_repeaters(pdu)), 0), len(oids))
        m = max(int(v2c.apiBulkPDU.get_max_repetitions(pdu)), 0)
        out = controller.get_next(oids[:n], t)
        names = oids[n:]
        if names:
            m = min(m, max(MAX_BULK_VARBINDS - n, 0) // len(names))
        for _ in range(m if names else 0):
            row = controller.get_next(names, t)
            out.extend(row)
            if all(value is rfc1905.endOfMibView for _, value in row):
                break
            names = [tuple(name) for name, _ in row]
        return out

    def _send_later(self, snmp_engine: Any, state_ref: Any, var_binds: list[tuple[Any, Any]]) -> None:
        self._deferred.pop(state_ref, None)
        try:
            self.send_varbinds(snmp_engine, state_ref, 0, 0, var_binds)
        finally:
            super().release_state_information(state_ref)

    def release_state_information(self, state_ref: Any) -> None:
        # process_pdu releases state as soon as we return; a delayed answer still needs it.
        if state_ref not in self._deferred:
            super().release_state_information(state_ref)

    def cancel_deferred(self) -> None:
        for handle in self._deferred.values():
            handle.cancel()
        self._deferred.clear()


class V3Agent:
    """One pysnmp engine serving every device as a context, on one UDP socket."""

    def __init__(self, devices: DeviceSet, clock: SimClock, users: Sequence[V3User]) -> None:
        self.devices = devices
        self.clock = clock
        self.users = tuple(users)
        self.stats = V3Stats()
        self.port = 0
        self._engine: Any = None
        self._responder: DeviceCommandResponder | None = None

    async def start(self, host: str, port: int) -> int:
        """Bind and start answering; return the bound port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        snmp_engine = engine.SnmpEngine()
        self._engine = snmp_engine
        transport = udp.UdpAsyncioTransport().open_server_mode(sock=sock)
        config.add_transport(snmp_engine, udp.DOMAIN_NAME, transport)
        # open_server_mode schedules the endpoint; wait for it so the port answers on return.
        await transport._lport
        for user in self.users:
            if user.auth not in AUTH_PROTOCOLS:
                msg = f"unsupported v3 auth protocol {user.auth!r} (use SHA or SHA256)"
                raise ValueError(msg)
            config.add_v3_user(
                snmp_engine,
                user.name,
                AUTH_PROTOCOLS[user.auth],
                user.auth_key,
                config.USM_PRIV_CFB128_AES,
                user.priv_key,
            )
        snmp_context = context.SnmpContext(snmp_engine)
        for dev in self.devices.devices:
            controller = DeviceMibController(dev, self.devices.layout_of[dev.id], self.clock)
            snmp_context.register_context_name(dev.id.encode(), controller)
        self._responder = DeviceCommandResponder(snmp_engine, snmp_context, self.clock, self.stats)
        return self.port

    def close(self) -> None:
        if self._responder is not None:
            self._responder.cancel_deferred()
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
