"""Signals of proxy filling (代填): bursts of appeals, ratings or votes from one kiosk or one helper.

A queue of villagers cannot file ten appeals in ten minutes at one kiosk, nor one helper
rate twenty services in that time. Such bursts are how "registration counts" get padded,
which the paper behind cunlink calls formalism. They are not proof (a village meeting can
produce a real burst), so the hub shows them to people - in /metrics as counts, in the API
with the source named - and decides nothing by itself.

Times are the kiosks' own request timestamps: a kiosk that was offline for a day and
replays thirty appeals at once is not a burst, thirty appeals within ten minutes are.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from hub.workorders.rules import Rules

SOURCES = (("node", "kiosk"), ("assisted_by", "helper"))
KINDS = ("appeal", "rating", "vote")


@dataclass(frozen=True, slots=True)
class Burst:
    """The densest window of one source for one kind of request."""

    source: str
    """``kiosk`` or ``helper``."""
    id: str
    kind: str
    count: int
    start_ms: int
    end_ms: int
    threshold: int


def bursts(db: sqlite_utils.Database, rules: Rules, now: float) -> list[Burst]:
    """Every (source, kind) whose densest window within the look-back reached its threshold."""
    cfg = rules.integrity
    since = int((now - cfg.lookback_hours * 3600) * 1000)
    window = cfg.window_seconds * 1000
    thresholds = {"appeal": cfg.appeal, "rating": cfg.rating, "vote": cfg.vote}
    found: list[Burst] = []
    for column, source in SOURCES:
        for kind in KINDS:
            rows = db.execute(
                f"SELECT {column}, ts FROM requests WHERE kind = ? AND ts >= ? AND {column} IS NOT NULL"  # noqa: S608
                f" ORDER BY {column}, ts",
                [kind, since],
            ).fetchall()
            found += _densest(rows, source, kind, window, thresholds[kind])
    return found


def _densest(rows: list[tuple[str, int]], source: str, kind: str, window: int, threshold: int) -> list[Burst]:
    out: list[Burst] = []
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and rows[j][0] == rows[i][0]:
            j += 1
        times = [t for _, t in rows[i:j]]
        best, best_at, lo = 0, 0, 0
        for hi, t in enumerate(times):  # two pointers over one source's sorted times
            while t - times[lo] > window:
                lo += 1
            if hi - lo + 1 > best:
                best, best_at = hi - lo + 1, lo
        if best >= threshold:
            out.append(
                Burst(source, rows[i][0], kind, best, times[best_at], times[best_at + best - 1], threshold)
            )
        i = j
    return out
