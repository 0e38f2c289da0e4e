"""Walking subtrees on any transport: several columns per PDU, GETBULK sizing, GETNEXT fallback.

* Several columns share one GETBULK (snmptable style): a gNB's nine IF-MIB
  columns of three rows come back in one PDU instead of nine. Var-binds are
  row-major, so column ``j`` of a response is at ``j, j + n, j + 2n ...``; a
  column ends at its first var-bind outside its subtree. A response cut short
  by the agent (message size) just leaves later columns where they were.
* max-repetitions is last cycle's row count + 1 (capped by the target's
  ``max_repetitions``), so a walk normally ends in one exact PDU.
* tooBig halves max-repetitions; at one repetition the columns are split; at
  one column the walk drops to GETNEXT.
* A GETBULK that times out is tried again with GETNEXT. Some agents (snmp.md
  1.3 item 5: Juniper MX204 among others) mishandle GETBULK but answer GETNEXT:
  when GETNEXT works the target stays on GETNEXT for ``retry_bulk_after``
  cycles, then GETBULK is probed again. Each switch is counted.
* Groups of columns run concurrently, at most ``concurrency`` at a time per
  device, because devices are slow and CPU-bound (snmp.md 1.2 #349) and
  parallel walks are what cuts wall time on high-latency links.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from edge_agent.errors import SnmpError, SnmpTimeout
from edge_agent.snmp.transport import SnmpTransport, SnmpType, VarBind, oid_key

log = logging.getLogger(__name__)

WalkResult = list[VarBind] | SnmpError


@dataclass(slots=True)
class WalkStats:
    """What the walker did beyond plain requests (for the agent's own metrics)."""

    bulk_fallbacks: int = 0
    """Switches from GETBULK to GETNEXT after a timeout or an unshrinkable tooBig."""
    too_big: int = 0
    """tooBig answers that made the walker ask for less."""


class Walker:
    """Walks for one target; remembers its GETBULK size, mode and row counts between cycles."""

    def __init__(
        self,
        transport: SnmpTransport,
        *,
        max_repetitions: int = 25,
        use_bulk: bool = True,
        concurrency: int = 2,
        columns_per_pdu: int = 10,
        retry_bulk_after: int = 10,
    ) -> None:
        self.transport = transport
        self.max_repetitions = max_repetitions
        self._bulk_allowed = use_bulk and transport.supports_bulk
        self._next_only_cycles = 0
        self._reps = max_repetitions
        self._concurrency = max(1, concurrency)
        self._columns_per_pdu = max(1, columns_per_pdu)
        self._retry_bulk_after = retry_bulk_after
        self._rows: dict[str, int] = {}
        self.stats = WalkStats()

    @property
    def using_bulk(self) -> bool:
        """Whether this cycle walks with GETBULK."""
        return self._bulk_allowed and self._next_only_cycles == 0

    def start_cycle(self) -> None:
        """Count down the GETNEXT period after a fallback."""
        if self._next_only_cycles > 0:
            self._next_only_cycles -= 1

    async def walk(self, subtrees: Sequence[str]) -> dict[str, WalkResult]:
        """Walk every subtree; each gets its rows or the error that stopped it.

        A timeout or an auth failure of a whole group is raised once every group
        has finished, so the caller can tell "device gone" from "one table failed".
        """
        results: dict[str, WalkResult] = {}
        groups = [
            list(subtrees[i : i + self._columns_per_pdu])
            for i in range(0, len(subtrees), self._columns_per_pdu)
        ]
        if not groups:
            return results
        gate = asyncio.Semaphore(self._concurrency)

        async def run(group: list[str]) -> None:
            async with gate:
                results.update(await self._walk_group(group))

        async with asyncio.TaskGroup() as tasks:
            for group in groups:
                tasks.create_task(run(group))
        return results

    async def _walk_group(self, subtrees: list[str]) -> dict[str, WalkResult]:
        cursors = {s: s for s in subtrees}
        rows: dict[str, list[VarBind]] = {s: [] for s in subtrees}
        out: dict[str, WalkResult] = {}
        active = list(subtrees)
        while active:
            try:
                varbinds = await self._step(active, cursors)
            except SnmpError as exc:
                for s in active:
                    out[s] = exc
                return out
            if not varbinds:
                error = SnmpError("empty response to a walk request", reason="empty_response")
                for s in active:
                    out[s] = error
                return out
            width = len(active)
            still: list[str] = []
            for j, subtree in enumerate(active):
                prefix = subtree + "."
                column = rows[subtree]
                before = len(column)
                finished = False
                for k in range(j, len(varbinds), width):
                    oid, value = varbinds[k]
                    if value.type == SnmpType.END_OF_MIB_VIEW or not oid.startswith(prefix):
                        finished = True
                        break
                    column.append((oid, value))
                if len(column) > before:
                    # Checked once per column per response (not per var-bind, which would cost
                    # more than decoding): an agent that goes backwards would walk forever.
                    last = column[-1][0]
                    if oid_key(last) <= oid_key(cursors[subtree]):
                        out[subtree] = SnmpError(
                            f"{last} does not follow {cursors[subtree]}", reason="oid_not_increasing"
                        )
                        finished = True
                    cursors[subtree] = last
                if finished:
                    out.setdefault(subtree, column)
                    self._rows[subtree] = len(column)
                else:
                    still.append(subtree)
            active = still
        return out

    async def _step(self, active: list[str], cursors: dict[str, str]) -> list[VarBind]:
        """One request for the active columns, shrinking or falling back as the agent demands."""
        oids = [cursors[s] for s in active]
        while True:
            if not self.using_bulk:
                return await self.transport.get_next(oids)
            reps = self._repetitions(active)
            try:
                return await self.transport.get_bulk(oids, reps)
            except SnmpTimeout:
                # The device answered this cycle's GET, or we would not be walking: try GETNEXT.
                answer = await self.transport.get_next(oids)
                self._fall_back("GETBULK timed out, GETNEXT answered")
                return answer
            except SnmpError as exc:
                if exc.reason != "too_big":
                    raise
                self.stats.too_big += 1
                if reps > 1:
                    self._reps = max(1, reps // 2)
                    continue
                if len(oids) > 1:
                    # One repetition of these columns is still too big: ask for the first alone.
                    return await self._one_column(oids)
                self._fall_back("tooBig at one repetition")

    async def _one_column(self, oids: list[str]) -> list[VarBind]:
        """One GETNEXT per column: a row of width ``len(oids)``, for answers too big to share a PDU."""
        return [(await self.transport.get_next([oid]))[0] for oid in oids]

    def _repetitions(self, active: list[str]) -> int:
        known = [self._rows[s] for s in active if s in self._rows]
        reps = self._reps
        if len(known) == len(active):
            reps = min(reps, max(known, default=0) + 1)
        # Keep a request near max_repetitions var-binds: agents truncate (or refuse) big answers.
        budget = max(self.max_repetitions * 2, len(active))
        return max(1, min(reps, budget // len(active)))

    def _fall_back(self, why: str) -> None:
        self.stats.bulk_fallbacks += 1
        self._next_only_cycles = self._retry_bulk_after + 1
        log.info("falling back to GETNEXT for %d cycles: %s", self._retry_bulk_after, why)

    def forget_rows(self) -> None:
        """Row counts are stale (the device rebooted or its tables changed)."""
        self._rows.clear()
