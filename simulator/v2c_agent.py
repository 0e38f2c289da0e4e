"""The SNMPv2c command responder: GET, GETNEXT, GETBULK over asyncio UDP.

One socket serves every device: the community ``<community>@<device id>``
picks the device (Cisco-style community indexing). Optionally a socket per
device, where the plain community works too.

The hot path is plain Python on bytes: decode with :mod:`snmpcodec.pdu`,
look values up in the device's pre-encoded :class:`~simulator.mib.Layout`,
join the var-bind TLVs. Responses larger than the maximum message size are
``tooBig`` (GET/GETNEXT) or truncated (GETBULK), as RFC 3416 section 4.2 says.
Malformed packets, unknown communities and SNMPv1 are dropped and counted;
nothing a client sends can stop the server.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from typing import cast

from simulator.clock import SimClock
from simulator.device import SimDevice
from simulator.mib import Layout
from simulator.registry import DeviceSet
from snmpcodec.ber import END_OF_MIB_VIEW, BerError, encode_oid, encode_value
from snmpcodec.pdu import (
    GET_BULK,
    GET_NEXT,
    NOT_WRITABLE,
    SET,
    TOO_BIG,
    VERSION_2C,
    Request,
    decode_request,
    encode_response,
    response_overhead,
    varbind,
)

log = logging.getLogger(__name__)

# net-snmp's SNMP_MAX_MSG_SIZE: what fits an Ethernet frame without IP fragmentation.
DEFAULT_MAX_MSG_SIZE = 1472
# Bounds one GETBULK's work even with a huge max-repetitions and max message size.
MAX_BULK_VARBINDS = 2048
_END = bytes((END_OF_MIB_VIEW, 0))

Entry = tuple[SimDevice, Layout[SimDevice]]


@dataclass(slots=True)
class AgentStats:
    """Packet counters, exposed by the control API (``GET /stats``)."""

    packets: int = 0
    responses: int = 0
    varbinds: int = 0
    malformed: int = 0
    bad_version: int = 0
    bad_community: int = 0
    not_responding: int = 0
    too_big: int = 0
    truncated: int = 0
    set_refused: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class V2cResponder:
    """Turns a request datagram into a response datagram (or nothing)."""

    def __init__(
        self, devices: DeviceSet, clock: SimClock, *, max_msg_size: int = DEFAULT_MAX_MSG_SIZE
    ) -> None:
        self.devices = devices
        self.clock = clock
        self.max_msg_size = max_msg_size
        self.stats = AgentStats()

    def handle(self, data: bytes, fixed: Entry | None = None) -> tuple[bytes, float] | None:
        """Return (response, delay in seconds), or ``None`` to stay silent."""
        stats = self.stats
        stats.packets += 1
        try:
            req = decode_request(data)
        except BerError:
            stats.malformed += 1
            return None
        if req.version != VERSION_2C:
            stats.bad_version += 1
            return None
        entry = self._resolve(req.community, fixed)
        if entry is None:
            stats.bad_community += 1
            return None
        dev, layout = entry
        t = self.clock.now()
        if not dev.responsive(t):
            stats.not_responding += 1
            return None
        if req.pdu_type == GET_BULK and dev.no_bulk:
            stats.not_responding += 1
            return None
        budget = self.max_msg_size - response_overhead(req.community)
        error_status = error_index = 0
        if req.pdu_type == GET_BULK:
            body, count = self._bulk(req, dev, layout, t, budget)
        elif req.pdu_type == SET:
            stats.set_refused += 1
            body, count, error_status, error_index = req.raw_varbinds, 0, NOT_WRITABLE, 1
        else:
            body, count = self._get_or_next(req, dev, layout, t)
        if len(body) > budget or count < 0:
            stats.too_big += 1
            body, count, error_status, error_index = b"", 0, TOO_BIG, 0
        stats.responses += 1
        stats.varbinds += count
        resp = encode_response(
            req.version,
            req.community,
            req.request_id,
            error_status=error_status,
            error_index=error_index,
            varbinds=body,
        )
        return resp, dev.delay_s

    def _resolve(self, community: bytes, fixed: Entry | None) -> Entry | None:
        if fixed is None:
            return self.devices.by_community.get(community)
        base = self.devices.community.encode()
        if community == base or community == base + b"@" + fixed[0].id.encode():
            return fixed
        return None

    @staticmethod
    def _get_or_next(req: Request, dev: SimDevice, layout: Layout[SimDevice], t: float) -> tuple[bytes, int]:
        parts: list[bytes] = []
        size = len(layout)
        enc, types, getters, rows = layout.enc, layout.types, layout.getters, layout.rows
        for oid in req.oids:
            if req.pdu_type == GET_NEXT:
                pos: int | None = layout.next_position(oid)
                if pos == size:
                    parts.append(varbind(encode_oid(oid), _END))
                    continue
            else:
                pos = layout.find(oid)
                if pos is None:
                    parts.append(varbind(encode_oid(oid), bytes((layout.missing_type(oid), 0))))
                    continue
            assert pos is not None
            parts.append(varbind(enc[pos], encode_value(types[pos], getters[pos](dev, t, rows[pos]))))
        return b"".join(parts), len(parts)

    def _bulk(
        self, req: Request, dev: SimDevice, layout: Layout[SimDevice], t: float, budget: int
    ) -> tuple[bytes, int]:
        """GETBULK per RFC 3416 4.2.3; returns count -1 when not even one var-bind fits."""
        oids = req.oids
        n = min(max(req.non_repeaters, 0), len(oids))
        m = max(req.max_repetitions, 0)
        size = len(layout)
        enc, types, getters, rows = layout.enc, layout.types, layout.getters, layout.rows
        parts: list[bytes] = []
        used = 0

        def add(vb: bytes) -> bool:
            nonlocal used
            if used + len(vb) > budget or len(parts) >= MAX_BULK_VARBINDS:
                return False
            parts.append(vb)
            used += len(vb)
            return True

        def next_vb(pos: int, name: bytes) -> bytes:
            if pos >= size:
                return varbind(name, _END)
            return varbind(enc[pos], encode_value(types[pos], getters[pos](dev, t, rows[pos])))

        for oid in oids[:n]:
            if not add(next_vb(layout.next_position(oid), encode_oid(oid))):
                return self._truncated(parts, used)
        repeaters = oids[n:]
        positions = [layout.next_position(o) for o in repeaters]
        names = [encode_oid(o) for o in repeaters]
        for _ in range(m if repeaters else 0):
            live = False
            for j, pos in enumerate(positions):
                if not add(next_vb(pos, names[j])):
                    return self._truncated(parts, used)
                if pos < size:
                    names[j] = enc[pos]
                    positions[j] = pos + 1
                    live = True
            if not live:
                break
        return b"".join(parts), len(parts)

    def _truncated(self, parts: list[bytes], used: int) -> tuple[bytes, int]:
        if not parts:
            return b"", -1
        self.stats.truncated += 1
        return b"".join(parts), len(parts)


class V2cProtocol(asyncio.DatagramProtocol):
    """asyncio glue: one socket, optionally bound to a single device (``fixed``)."""

    def __init__(self, responder: V2cResponder, fixed: Entry | None = None) -> None:
        self.responder = responder
        self.fixed = fixed
        self.transport: asyncio.DatagramTransport | None = None
        self._delayed: set[asyncio.TimerHandle] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        try:
            result = self.responder.handle(data, self.fixed)
        except Exception:
            # A bug in one device model must not take the whole simulator down.
            log.exception("error answering %d-byte packet from %s", len(data), addr)
            self.responder.stats.malformed += 1
            return
        if result is None or self.transport is None:
            return
        resp, delay = result
        if delay <= 0:
            self.transport.sendto(resp, addr)
            return
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle | None = None

        def send_later() -> None:
            assert handle is not None
            self._delayed.discard(handle)
            if self.transport is not None and not self.transport.is_closing():
                self.transport.sendto(resp, addr)

        handle = loop.call_later(delay, send_later)
        self._delayed.add(handle)

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)

    def close(self) -> None:
        for handle in self._delayed:
            handle.cancel()
        self._delayed.clear()
        if self.transport is not None:
            self.transport.close()
