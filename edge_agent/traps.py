"""The trap and inform receiver: one UDP socket, v1/v2c on our codec, v3 through pysnmp's USM.

pysnmp's asyncio transport owns the socket, so SNMPv3 (engine ids, USM
authentication and privacy, Report PDUs) is pysnmp's work. Its
``datagram_received`` is wrapped: v1 and v2c datagrams are decoded by
:mod:`edge_agent.snmp.ber` instead, which accepts ``community@device``
without registering one community per device in pysnmp's MIB (that costs
milliseconds each, and a site has thousands of targets).

SNMPv3 traps (unconfirmed) need the sender's engine id configured per user
(snmp.md 4.2: "for traps you must pre-provision each sender's engineID");
informs are answered by pysnmp after engine discovery.

A trap is attributed to a device by, in order: the ``@device`` in its
community, the device configured for its v3 engine id, its v3 contextName,
and last its source address when exactly one target has it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config as pysnmp_config
from pysnmp.entity import engine as pysnmp_engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto import rfc1902

from edge_agent.auths import AuthConfig
from edge_agent.config import TargetConfig, TrapsSection
from edge_agent.snmp import ber
from edge_agent.snmp.pysnmp_transport import AUTH_PROTOCOLS, PRIV_PROTOCOLS, convert_value
from edge_agent.snmp.transport import SnmpType, SnmpValue
from snmpcodec.ber import INTEGER, OCTET_STRING, BerError
from snmpcodec.pdu import INFORM, TRAP_V1, TRAP_V2

log = logging.getLogger(__name__)

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
#: SNMPv1 generic-trap numbers -> the SNMPv2 trap OIDs of RFC 3584 section 3.1.
_V1_GENERIC = {n: f"1.3.6.1.6.3.1.1.5.{n + 1}" for n in range(6)}


@dataclass(frozen=True, slots=True)
class Trap:
    """One notification, decoded and attributed."""

    source: str
    version: str
    device: str | None
    trap_oid: str
    varbinds: dict[str, SnmpValue]
    inform: bool = False


@dataclass(slots=True)
class TrapStats:
    """Counters for the agent's own metrics."""

    received: dict[str, int] = field(default_factory=dict)
    """Notifications accepted, by SNMP version."""
    rejected: int = 0
    """Unknown community, malformed or not a notification."""
    unattributed: int = 0
    """Accepted but matched to no device."""


class TrapReceiver:
    """Listens for notifications and hands each :class:`Trap` to ``on_trap``."""

    def __init__(
        self,
        config: TrapsSection,
        auths: dict[str, AuthConfig],
        targets: Sequence[TargetConfig],
        on_trap: Callable[[Trap], None],
    ) -> None:
        self._config = config
        self._auths = auths
        self._on_trap = on_trap
        self._devices = {t.device for t in targets}
        by_address: dict[str, list[str]] = {}
        for target in targets:
            by_address.setdefault(target.address, []).append(target.device)
        self._by_address = {addr: devs[0] for addr, devs in by_address.items() if len(devs) == 1}
        communities = [c.get_secret_value() for c in config.communities] or [
            a.community.get_secret_value() for a in auths.values() if a.community is not None
        ]
        self._communities = {c.encode() for c in communities}
        self._engine: Any = None
        self._transport: Any = None
        self._v3_devices: dict[bytes, str] = {}
        self.stats = TrapStats()
        self.port = 0

    async def start(self) -> int:
        """Bind and listen; returns the bound port."""
        snmp_engine = pysnmp_engine.SnmpEngine()
        transport = udp.UdpAsyncioTransport().open_server_mode((self._config.host, self._config.port))
        pysnmp_config.add_transport(snmp_engine, udp.DOMAIN_NAME, transport)
        await transport._lport  # open_server_mode schedules the bind; wait for it
        self._engine, self._transport = snmp_engine, transport
        for user in self._config.v3:
            self._add_v3_user(user.auth, user.engine_id, user.device)
        receiver = _Receiver(snmp_engine, self._v3_notification)
        del receiver  # it registers itself with the engine
        pysnmp_datagram = transport.datagram_received

        def route(data: bytes, addr: Any) -> None:
            # v3 messages go to pysnmp (USM); v1 and v2c to our codec.
            if _version(data) == 3:
                pysnmp_datagram(data, addr)
            else:
                self._v1v2c(data, (str(addr[0]), int(addr[1])))

        transport.datagram_received = route
        self.port = int(transport.transport.get_extra_info("sockname")[1])
        log.info("listening for traps on %s:%d", self._config.host, self.port)
        return self.port

    def _add_v3_user(self, auth_name: str, engine_id: str, device: str | None) -> None:
        auth = self._auths[auth_name]
        engine_bytes = bytes.fromhex(engine_id.removeprefix("0x"))
        args: list[Any] = [self._engine, auth.username]
        if auth.auth_protocol is not None and auth.auth_key is not None:
            args += [AUTH_PROTOCOLS[auth.auth_protocol], auth.auth_key.get_secret_value()]
            if auth.priv_protocol is not None and auth.priv_password is not None:
                args += [PRIV_PROTOCOLS[auth.priv_protocol], auth.priv_password.get_secret_value()]
        pysnmp_config.add_v3_user(*args, securityEngineId=rfc1902.OctetString(engine_bytes))
        if device is not None:
            self._v3_devices[engine_bytes] = device

    def close(self) -> None:
        """Stop listening."""
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None

    # Attribution and hand-over.

    def _deliver(
        self,
        source: str,
        version: str,
        device: str | None,
        varbinds: list[tuple[str, SnmpValue]],
        *,
        inform: bool,
    ) -> None:
        values = dict(varbinds)
        trap_oid = values.get(SNMP_TRAP_OID)
        if trap_oid is None or trap_oid.type != SnmpType.OID or not isinstance(trap_oid.value, str):
            self.stats.rejected += 1
            return
        if device is None:
            device = self._by_address.get(source)
        if device is None:
            self.stats.unattributed += 1
        self.stats.received[version] = self.stats.received.get(version, 0) + 1
        self._on_trap(Trap(source, version, device, trap_oid.value, values, inform))

    def _v1v2c(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            version, community, pdu_type = _envelope(data)
        except BerError:
            self.stats.rejected += 1
            return
        base, _, named = community.partition(b"@")
        if base not in self._communities:
            self.stats.rejected += 1
            return
        device = named.decode(errors="replace") if named else None
        device = device if device in self._devices else None
        try:
            if pdu_type == TRAP_V1:
                varbinds = _v1_trap(data)
            else:
                pdu = ber.decode_message(data)
                if pdu.pdu_type not in (TRAP_V2, INFORM):
                    self.stats.rejected += 1
                    return
                varbinds = pdu.varbinds
                if pdu.pdu_type == INFORM and self._transport is not None:
                    self._transport.transport.sendto(ber.encode_response_to(pdu), addr)
        except BerError:
            self.stats.rejected += 1
            return
        self._deliver(addr[0], "1" if version == 0 else "2c", device, varbinds, inform=pdu_type == INFORM)

    def _v3_notification(self, context: dict[str, Any], var_binds: Any) -> None:
        address = context.get("transportAddress")
        source = str(address[0]) if address else ""
        context_name = bytes(context.get("contextName", b"")).decode(errors="replace")
        # A trap's contextEngineID is its sender's engine id (what the USM user is keyed by).
        engine = bytes(context.get("contextEngineId") or b"")
        device = self._v3_devices.get(engine) or (context_name if context_name in self._devices else None)
        varbinds = [(str(name), convert_value(value)) for name, value in var_binds]
        self._deliver(source, "3", device, varbinds, inform=bool(context.get("inform")))


class _Receiver(ntfrcv.NotificationReceiver):  # type: ignore[misc]
    """pysnmp's receiver, passing the security context (engine id, contextName, address) on."""

    def __init__(self, snmp_engine: Any, callback: Callable[[dict[str, Any], Any], None]) -> None:
        super().__init__(snmp_engine, self._callback)
        self._forward = callback
        self._context: dict[str, Any] = {}

    def process_pdu(self, snmp_engine: Any, *args: Any) -> None:
        # pysnmp calls this positionally: (engine, mp model, sec model, sec name, sec level,
        # context engine id, context name, pdu version, PDU, max size, state reference).
        context_engine_id, context_name, pdu = args[4], args[5], args[7]
        request = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request") or {}
        self._context = {
            "transportAddress": request.get("transportAddress"),
            "contextName": context_name,
            "contextEngineId": context_engine_id,
            "inform": "Inform" in type(pdu).__name__,
        }
        super().process_pdu(snmp_engine, *args)

    def _callback(self, *args: Any) -> None:
        # (engine, state reference, context engine id, context name, var-binds, callback context)
        self._forward(self._context, args[4])


def _version(data: bytes) -> int:
    try:
        _tag, m0, _m1 = ber.header(data, 0)
        tag, v0, v1 = ber.header(data, m0)
    except BerError:
        return -1
    return int.from_bytes(data[v0:v1], "big") if tag == INTEGER and v1 - v0 <= 2 else -1


def _envelope(data: bytes) -> tuple[int, bytes, int]:
    """(version, community, PDU tag) of a v1/v2c message."""
    _tag, m0, _m1 = ber.header(data, 0)
    _tag, v0, v1 = ber.header(data, m0)
    tag, c0, c1 = ber.header(data, v1)
    if tag != OCTET_STRING:
        raise BerError("no community")
    pdu_type = data[c1] if c1 < len(data) else -1
    return int.from_bytes(data[v0:v1], "big"), data[c0:c1], pdu_type


def _v1_trap(data: bytes) -> list[tuple[str, SnmpValue]]:
    """An SNMPv1 Trap-PDU in SNMPv2 form (RFC 3584 3.1): sysUpTime, snmpTrapOID, then its var-binds."""
    _tag, m0, _m1 = ber.header(data, 0)
    _tag, _v0, v1 = ber.header(data, m0)
    _tag, _c0, c1 = ber.header(data, v1)
    _tag, p0, p1 = ber.header(data, c1)
    fields: list[Any] = []
    pos = p0
    for _ in range(5):  # enterprise, agent-addr, generic-trap, specific-trap, time-stamp
        tag, f0, f1 = ber.header(data, pos)
        fields.append(ber.decode_value(tag, data, f0, f1))
        pos = f1
    _tag, l0, l1 = ber.header(data, pos)
    enterprise, generic, specific, stamp = fields[0].value, fields[2].as_int(), fields[3].as_int(), fields[4]
    if generic == 6:
        trap_oid = f"{enterprise}.0.{specific}"
    elif generic in _V1_GENERIC:
        trap_oid = _V1_GENERIC[generic]
    else:
        raise BerError("bad generic-trap")
    head = [(SYS_UPTIME, stamp), (SNMP_TRAP_OID, SnmpValue(SnmpType.OID, trap_oid))]
    return head + ber.decode_varbinds(data, l0, min(l1, p1))
