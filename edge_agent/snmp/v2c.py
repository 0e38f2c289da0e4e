"""SNMPv1/v2c on the agent's own BER codec: one UDP socket shared by every target.

Why not pysnmp here: its v3arch engine decodes through pyasn1 and costs
100-200 us of CPU per OID; v1/v2c need no security processing, so a plain
codec and one asyncio datagram socket do the same work in a few microseconds
(bench/edge_snmp_cpu.py measures both). SNMPv3 stays on pysnmp
(:mod:`edge_agent.snmp.pysnmp_transport`), which implements USM.

One socket for all targets: responses are routed by request-id (random start,
then sequential, so ids do not repeat within hours) and checked against the
address the request went to. A retry resends the same request-id, so a late
answer to the first try still counts.

The socket is read with ``loop.add_reader`` and drained of every waiting
datagram per wake-up. asyncio's datagram transport reads one datagram per
event-loop iteration; with 3,000 targets a busy loop then fell behind, the
kernel's receive buffer (capped by net.core.rmem_max, 208 KiB by default)
overflowed and answers were lost as timeouts (bench/edge_capacity.py showed
thousands of RcvbufErrors before this change, none after).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from typing import Any

from edge_agent.errors import SnmpAgentError, SnmpError, SnmpTimeout
from edge_agent.snmp import ber
from edge_agent.snmp.transport import SnmpType, SnmpValue, TransportStats, VarBind
from snmpcodec.ber import BerError
from snmpcodec.pdu import GET, GET_BULK, GET_NEXT, peek_request_id

log = logging.getLogger(__name__)

_ERROR_STATUS = {1: "too_big", 2: "no_such_name", 5: "gen_err"}
#: Bursts of responses from thousands of targets must not overflow the kernel queue.
_RCVBUF = 4 * 1024 * 1024
_END = SnmpValue(SnmpType.END_OF_MIB_VIEW)
_ABSENT = SnmpValue(SnmpType.NO_SUCH_INSTANCE)


class _Pending:
    __slots__ = ("addr", "future", "payload", "timer", "tries_left")

    def __init__(self, addr: tuple[str, int], future: asyncio.Future[ber.Pdu], payload: bytes, tries: int):
        self.addr = addr
        self.future = future
        self.payload = payload
        self.tries_left = tries
        self.timer: asyncio.TimerHandle | None = None


class UdpDispatcher:
    """The shared socket: sends requests, matches responses, runs timeouts and retries."""

    #: Datagrams read per wake-up at most, so one flood cannot starve the rest of the loop.
    DRAIN = 512

    def __init__(self, sock: socket.socket, max_in_flight: int = 256) -> None:
        self._sock: socket.socket | None = sock
        # Thousands of targets polled at once would send bursts no receive buffer holds (ours
        # or the devices'); a bound on requests in flight turns a burst into a short queue.
        self._slots = asyncio.Semaphore(max_in_flight)
        self._pending: dict[int, _Pending] = {}
        self._next_id = random.randrange(1, 2**30)  # noqa: S311 - an id, not a secret
        self.dropped = 0
        """Datagrams that matched no request (late, foreign or malformed)."""
        asyncio.get_running_loop().add_reader(sock.fileno(), self._drain)

    @classmethod
    async def open(cls, host: str = "0.0.0.0", max_in_flight: int = 256) -> UdpDispatcher:
        """Bind a non-blocking socket on an ephemeral port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
            sock.setblocking(False)
            sock.bind((host, 0))
        except OSError:
            sock.close()
            raise
        return cls(sock, max_in_flight)

    def next_request_id(self) -> int:
        """A fresh request-id."""
        rid = self._next_id
        self._next_id = rid + 1 if rid < 2**31 - 1 else 1
        return rid

    def _drain(self) -> None:
        sock = self._sock
        if sock is None:
            return
        for _ in range(self.DRAIN):
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                # ICMP port unreachable and the like: the request will time out, which is what we report.
                log.debug("UDP error: %s", exc)
                continue
            self._received(data, addr)

    def _received(self, data: bytes, addr: Any) -> None:
        try:
            rid = peek_request_id(data)
        except BerError:
            self.dropped += 1
            return
        pending = self._pending.get(rid)
        if pending is None or (addr[0], addr[1]) != pending.addr:
            self.dropped += 1
            return
        try:
            pdu = ber.decode_message(data)
        except BerError as exc:
            self.dropped += 1
            log.debug("malformed response from %s: %s", addr, exc)
            return
        del self._pending[rid]
        if pending.timer is not None:
            pending.timer.cancel()
        if not pending.future.done():
            pending.future.set_result(pdu)

    def _send(self, payload: bytes, addr: tuple[str, int]) -> None:
        if self._sock is None:
            return
        try:
            self._sock.sendto(payload, addr)
        except (BlockingIOError, InterruptedError):
            log.debug("UDP send buffer full; the request will be retried")
        except OSError as exc:
            log.debug("UDP send to %s failed: %s", addr, exc)

    async def request(
        self,
        addr: tuple[str, int],
        payload: bytes,
        rid: int,
        *,
        wait: float,
        retries: int,
        stats: TransportStats,
    ) -> ber.Pdu:
        """Send ``payload`` and wait for the response with request-id ``rid``; retry on silence."""
        async with self._slots:
            if self._sock is None:
                msg = "the SNMP socket is closed"
                raise SnmpError(msg)
            loop = asyncio.get_running_loop()
            pending = _Pending(addr, loop.create_future(), payload, retries)
            self._pending[rid] = pending

            def expire() -> None:
                if pending.future.done():
                    return
                if pending.tries_left > 0 and self._sock is not None:
                    pending.tries_left -= 1
                    stats.retries += 1
                    self._send(payload, addr)
                    pending.timer = loop.call_later(wait, expire)
                    return
                self._pending.pop(rid, None)
                pending.future.set_exception(SnmpTimeout(f"{addr[0]}:{addr[1]}: no response"))

            self._send(payload, addr)
            pending.timer = loop.call_later(wait, expire)
            try:
                return await pending.future
            finally:
                # Cancelled (a poll deadline): forget the request so a late answer is dropped.
                if not pending.future.done() or pending.future.cancelled():
                    self._pending.pop(rid, None)
                    if pending.timer is not None:
                        pending.timer.cancel()

    def close(self) -> None:
        """Close the socket; pending requests fail."""
        for pending in self._pending.values():
            if pending.timer is not None:
                pending.timer.cancel()
            if not pending.future.done():
                pending.future.set_exception(SnmpError("the SNMP socket closed"))
        self._pending.clear()
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None


class V2cTransport:
    """One v1 or v2c target on a shared :class:`UdpDispatcher`."""

    def __init__(
        self,
        dispatcher: UdpDispatcher,
        *,
        address: str,
        port: int,
        community: str,
        version: int = 1,
        timeout: float = 2.0,
        retries: int = 1,
    ) -> None:
        self._dispatcher = dispatcher
        self._host = address
        self._port = port
        self._addr: tuple[str, int] | None = None
        self._community = community.encode()
        self._version = version
        self._timeout = timeout
        self._retries = retries
        self._stats = TransportStats()

    @property
    def stats(self) -> TransportStats:
        """Counters of this target."""
        return self._stats

    @property
    def supports_bulk(self) -> bool:
        """SNMPv1 has no GETBULK."""
        return self._version == 1

    async def _resolve(self) -> tuple[str, int]:
        if self._addr is None:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    self._host, self._port, family=socket.AF_INET, type=socket.SOCK_DGRAM
                )
            except OSError as exc:
                self._stats.error("resolve")
                raise SnmpError(f"{self._host}: {exc}", reason="resolve") from None
            self._addr = (str(infos[0][4][0]), int(infos[0][4][1]))
        return self._addr

    async def _call(self, pdu_type: int, oids: list[str], max_repetitions: int = 0) -> ber.Pdu:
        addr = await self._resolve()
        rid = self._dispatcher.next_request_id()
        payload = ber.encode_request(
            self._version, self._community, pdu_type, rid, oids, max_repetitions=max_repetitions
        )
        self._stats.requests += 1
        try:
            pdu = await self._dispatcher.request(
                addr, payload, rid, wait=self._timeout, retries=self._retries, stats=self._stats
            )
        except SnmpTimeout:
            self._stats.timeouts += 1
            raise
        self._stats.responses += 1
        if pdu.error_status:
            reason = _ERROR_STATUS.get(pdu.error_status, "agent_error")
            # v1 reports "no such name" for absent instances and the end of the MIB: callers decide.
            if not (reason == "no_such_name" and self._version == 0):
                self._stats.error(reason)
            raise SnmpAgentError(
                f"{addr[0]}:{addr[1]}: error-status {pdu.error_status} at var-bind {pdu.error_index}",
                reason=reason,
                error_index=pdu.error_index,
            ) from None
        self._stats.varbinds += len(pdu.varbinds)
        return pdu

    async def get(self, oids: list[str]) -> list[VarBind]:
        """GET in one PDU. For v1, an absent instance fails the PDU: ask again without it."""
        if self._version != 0:
            return (await self._call(GET, oids)).varbinds
        wanted = list(oids)
        absent: set[str] = set()
        while wanted:
            try:
                got = dict((await self._call(GET, wanted)).varbinds)
            except SnmpAgentError as exc:
                index = self._v1_error_index(exc, wanted)
                if index is None:
                    raise
                absent.add(wanted.pop(index))
                continue
            return [(oid, _ABSENT if oid in absent else got.get(oid, _ABSENT)) for oid in oids]
        return [(oid, _ABSENT) for oid in oids]

    async def get_next(self, oids: list[str]) -> list[VarBind]:
        """GETNEXT; for v1 the end of the MIB (noSuchName) becomes endOfMibView, as in v2c."""
        try:
            return (await self._call(GET_NEXT, oids)).varbinds
        except SnmpAgentError as exc:
            if self._version != 0 or exc.reason != "no_such_name" or len(oids) != 1:
                raise
            return [(oids[0], _END)]

    async def get_bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        """GETBULK (v2c only)."""
        if self._version == 0:
            msg = "SNMPv1 has no GETBULK"
            raise SnmpError(msg, reason="no_bulk")
        return (await self._call(GET_BULK, oids, max_repetitions)).varbinds

    @staticmethod
    def _v1_error_index(exc: SnmpAgentError, wanted: list[str]) -> int | None:
        index = exc.error_index - 1
        return index if exc.reason == "no_such_name" and 0 <= index < len(wanted) else None

    async def close(self) -> None:
        """The socket belongs to the dispatcher; nothing to release per target."""
