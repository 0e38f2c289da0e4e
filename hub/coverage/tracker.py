"""Evaluates coverage every few seconds and accumulates availability over time.

Each evaluation reads, on the event loop, whether every gNB, OLT uplink and kiosk the
fleet file names is serving (a few thousand dictionary lookups, milliseconds), judges
every area, and adds the seconds since the previous evaluation to each area's "known"
and "up" totals. Totals go to SQLite per day once a minute; at start-up they are read
back, so the counters behind availability survive restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime

import sqlite_utils

from contract.fleet import Fleet
from contract.topics import NodeKind
from hub.alarms.engine import AlarmEngine
from hub.clock import Clock
from hub.coverage.model import Coverage, Topology, Verdict, evaluate
from hub.metrics.dbtimer import DbTimer
from hub.state import FleetState
from hub.store import StoreError

log = logging.getLogger(__name__)

#: (level, code, measure) -> seconds.
Totals = dict[tuple[str, str, str], float]
#: An evaluation gap longer than this (a stalled loop, a suspended VM) is not counted as measured.
MAX_STEP_S = 60.0


class CoverageTracker:
    """Owns the latest :class:`Coverage` and the availability totals."""

    def __init__(
        self,
        fleet: Fleet,
        state: FleetState,
        alarms: AlarmEngine,
        db: DbTimer,
        clock: Clock,
        *,
        interval: float = 5.0,
        persist_interval: float = 60.0,
    ) -> None:
        self.fleet = fleet
        self.topology = Topology(fleet)
        self._state = state
        self._alarms = alarms
        self._db = db
        self._clock = clock
        self._interval = interval
        self._persist_interval = persist_interval
        self.latest: Coverage | None = None
        self.known: Totals = defaultdict(float)
        self.up: Totals = defaultdict(float)
        self._unsaved: dict[tuple[str, str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        self._last_eval: float | None = None
        self.evaluate_seconds = 0.0
        """CPU time of the last evaluation, on the event loop."""

    # -- evaluation (event loop) --------------------------------------------------------------

    def serving(self) -> dict[str, Verdict]:
        """Whether each gNB, uplink and kiosk of the fleet carries service now."""
        state, alarms, out = self._state, self._alarms, {}
        for gnb in self.topology.gnbs:
            verdict = _session(state.device_state(gnb))
            if verdict:
                names = alarms.active_names(gnb)
                if "cell_down" in names:
                    down = sum(1 for a in alarms.active_for(gnb) if a.alarm == "cell_down")
                    cells = (state.device_values(gnb) or {}).get(("gnb_cells", ()))
                    verdict = cells is None or down < cells
            out[gnb] = verdict
        for uplink in self.topology.uplinks:
            verdict = _session(state.device_state(uplink))
            out[uplink] = verdict and "link_down" not in alarms.active_names(uplink) if verdict else verdict
        for kiosk in self.topology.kiosks:
            out[kiosk] = _session(state.node_state(NodeKind.KIOSK, kiosk))
        return out

    def evaluate_now(self) -> Coverage:
        """Judge every area now and add the elapsed time to the availability totals."""
        started = time.thread_time()
        now = self._clock()
        coverage = evaluate(self.topology, self.serving(), now)
        previous = self._last_eval
        self._last_eval = now
        if previous is not None and 0 < now - previous <= MAX_STEP_S:
            self._accumulate(coverage, now - previous, now)
        self.latest = coverage
        self.evaluate_seconds = time.thread_time() - started
        return coverage

    def _accumulate(self, cov: Coverage, dt: float, now: float) -> None:
        day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
        for code, t in cov.townships.items():
            self._add("township", code, "dual_gigabit", day, dt=dt, verdict=t.dual_gigabit)
            self._add("township", code, "covered", day, dt=dt, verdict=t.covered)
        for code, v in cov.villages.items():
            self._add("village", code, "covered", day, dt=dt, verdict=v.covered)
            self._add("village", code, "service", day, dt=dt, verdict=v.service)
        for code, c in cov.counties.items():
            for measure, counts in (("dual_gigabit", c.dual_gigabit), ("covered", c.covered)):
                known = counts["yes"] + counts["no"]
                if known:
                    self._add_share("county", code, measure, day, dt=dt, share=counts["yes"] / known)

    def _add(self, level: str, code: str, measure: str, day: str, *, dt: float, verdict: Verdict) -> None:
        if verdict is not None:
            self._add_share(level, code, measure, day, dt=dt, share=1.0 if verdict else 0.0)

    def _add_share(self, level: str, code: str, measure: str, day: str, *, dt: float, share: float) -> None:
        key = (level, code, measure)
        self.known[key] += dt
        self.up[key] += dt * share
        unsaved = self._unsaved[(level, code, measure, day)]
        unsaved[0] += dt
        unsaved[1] += dt * share

    # -- background work -------------------------------------------------------------------

    async def run(self) -> None:
        """Evaluate every ``interval`` and persist every ``persist_interval`` (cancelled at shutdown)."""
        last_save = self._clock()
        while True:
            await asyncio.sleep(self._interval)
            self.evaluate_now()
            if self._clock() - last_save >= self._persist_interval:
                last_save = self._clock()
                try:
                    await self.flush()
                except StoreError as exc:
                    log.error("coverage: %s; retrying", exc)  # noqa: TRY400 - the store error says it all

    async def restore(self) -> None:
        """Read the totals of earlier runs."""
        rows = await self._db.read(_load_totals)
        for level, code, measure, known, up in rows:
            self.known[(level, code, measure)] += known
            self.up[(level, code, measure)] += up

    async def flush(self) -> None:
        """Add the seconds accumulated since the last flush to the daily rows."""
        if not self._unsaved:
            return
        unsaved, self._unsaved = self._unsaved, defaultdict(lambda: [0.0, 0.0])
        rows = [(*key, known, up) for key, (known, up) in unsaved.items()]
        try:
            await self._db.write(lambda db: _add_daily(db, rows))
        except StoreError:
            for key, (known, up) in unsaved.items():
                self._unsaved[key][0] += known
                self._unsaved[key][1] += up
            raise

    def totals(self) -> tuple[Mapping[tuple[str, str, str], float], Mapping[tuple[str, str, str], float]]:
        """Copies of the known and up totals, for a render thread."""
        return dict(self.known), dict(self.up)


def _session(state: str | None) -> Verdict:
    if state == "online":
        return True
    if state == "offline":
        return False
    return None  # restored and not re-born yet, or never heard of since the hub started


def _load_totals(db: sqlite_utils.Database) -> list[tuple[str, str, str, float, float]]:
    return list(
        db.conn.execute(
            "SELECT level, code, measure, SUM(known_s), SUM(up_s) FROM coverage_daily "
            "GROUP BY level, code, measure"
        )
    )


def _add_daily(db: sqlite_utils.Database, rows: list[tuple[str, str, str, str, float, float]]) -> None:
    db.conn.executemany(
        "INSERT INTO coverage_daily VALUES (?,?,?,?,?,?) ON CONFLICT (level, code, measure, day) "
        "DO UPDATE SET known_s = known_s + excluded.known_s, up_s = up_s + excluded.up_s",
        rows,
    )
