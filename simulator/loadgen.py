"""A small SNMPv2c load generator: ``cunlink sim bench``.

Walks a subtree (IF-MIB by default) of many devices with GETBULK, from
``concurrency`` concurrent walkers, for a fixed time, and reads the
simulator's ``/stats`` before and after. The figure that matters is the
simulator's var-binds per CPU-second (its own process CPU time, from
``/stats``), which does not depend on how fast this client is.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import aiohttp

from snmpcodec.ber import BerError, Oid
from snmpcodec.pdu import GET_BULK, VERSION_2C, decode_response, encode_request


@dataclass(frozen=True, slots=True)
class LoadResult:
    seconds: float
    requests: int
    timeouts: int
    varbinds_received: int
    server_varbinds: int
    server_cpu_s: float

    @property
    def varbinds_per_cpu_s(self) -> float:
        return self.server_varbinds / self.server_cpu_s if self.server_cpu_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "timeouts": self.timeouts,
            "varbinds_received": self.varbinds_received,
            "varbinds_per_s": round(self.varbinds_received / self.seconds) if self.seconds else 0,
            "server_varbinds": self.server_varbinds,
            "server_cpu_s": round(self.server_cpu_s, 3),
            "server_varbinds_per_cpu_s": round(self.varbinds_per_cpu_s),
        }


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[bytes]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            request_id = decode_response(data)[0]
        except BerError:
            return
        fut = self.waiting.pop(request_id, None)
        if fut is not None and not fut.done():
            fut.set_result(data)


async def _stats(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(f"{url}/stats") as resp:
        return cast(dict[str, Any], await resp.json())


async def run_load(
    host: str,
    port: int,
    control_url: str,
    devices: Sequence[str],
    *,
    community: str = "public",
    seconds: float = 5.0,
    concurrency: int = 16,
    max_repetitions: int = 25,
    root: Oid = (1, 3, 6, 1, 2, 1, 2, 2),
    request_timeout: float = 1.0,
) -> LoadResult:
    """Walk ``root`` on ``devices`` round-robin for ``seconds``; see the module docstring."""
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(_Client, remote_addr=(host, port))
    ids = itertools.count(1)
    next_device = itertools.cycle(devices)
    counts = {"requests": 0, "timeouts": 0, "varbinds": 0}
    deadline = time.monotonic() + seconds

    async def walker() -> None:
        while time.monotonic() < deadline:
            community_bytes = f"{community}@{next(next_device)}".encode()
            oid = root
            while time.monotonic() < deadline:
                request_id = next(ids) & 0x7FFFFFFF
                fut: asyncio.Future[bytes] = loop.create_future()
                client.waiting[request_id] = fut
                transport.sendto(
                    encode_request(
                        VERSION_2C,
                        community_bytes,
                        GET_BULK,
                        request_id,
                        [oid],
                        max_repetitions=max_repetitions,
                    )
                )
                counts["requests"] += 1
                try:
                    data = await asyncio.wait_for(fut, request_timeout)
                except TimeoutError:
                    client.waiting.pop(request_id, None)
                    counts["timeouts"] += 1
                    break
                varbinds = decode_response(data)[3]
                inside = [vb for vb in varbinds if vb[0][: len(root)] == root and vb[1] < 0x80]
                counts["varbinds"] += len(varbinds)
                if len(inside) < len(varbinds) or not varbinds:
                    break
                oid = varbinds[-1][0]

    async with aiohttp.ClientSession() as session:
        before = await _stats(session, control_url)
        started = time.monotonic()
        try:
            async with asyncio.TaskGroup() as tg:
                for _ in range(concurrency):
                    tg.create_task(walker())
        finally:
            transport.close()
        elapsed = time.monotonic() - started
        after = await _stats(session, control_url)
    return LoadResult(
        seconds=elapsed,
        requests=counts["requests"],
        timeouts=counts["timeouts"],
        varbinds_received=counts["varbinds"],
        server_varbinds=after["v2c"]["varbinds"] - before["v2c"]["varbinds"],
        server_cpu_s=after["cpu_s"] - before["cpu_s"],
    )
