"""Coverage by area over the API: the current verdict and availability over time.

``null`` means unknown (not measured since the hub started); availability is up-seconds
over measured seconds, so it says nothing about time nobody measured.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlite_utils
from aiohttp import web

from hub import keys
from hub.api.errors import ApiError
from hub.api.params import integer, text
from hub.api.registry import Api, Query
from hub.coverage.model import Coverage
from hub.coverage.tracker import CoverageTracker


class CountyCoverage(msgspec.Struct, kw_only=True):
    code: str
    name: str
    townships: int
    townships_dual_gigabit: dict[str, int]
    villages: int
    villages_covered: dict[str, int]
    dual_gigabit_availability: float | None
    covered_availability: float | None


class CoverageSummary(msgspec.Struct, kw_only=True):
    """The claim "every township has dual-gigabit backhaul", checked against measurement."""

    evaluated_at: float
    townships: int
    townships_dual_gigabit: int
    townships_dual_gigabit_ratio: float
    villages: int
    villages_covered: int
    counties: list[CountyCoverage]


class TownshipCoverage(msgspec.Struct, kw_only=True):
    code: str
    name: str
    county: str
    uplinks: int
    uplinks_up: int
    dual_gigabit: bool | None
    covered: bool | None
    dual_gigabit_availability: float | None
    covered_availability: float | None


class VillageCoverage(msgspec.Struct, kw_only=True):
    code: str
    name: str
    township: str
    cellular: bool | None
    backhaul: bool | None
    has_kiosk: bool
    kiosk: bool | None
    covered: bool | None
    service: bool | None


class AreaList(msgspec.Struct, kw_only=True):
    total: int
    townships: list[TownshipCoverage] = []
    villages: list[VillageCoverage] = []


class DayAvailability(msgspec.Struct, kw_only=True):
    day: str
    measure: str
    known_seconds: float
    up_seconds: float
    availability: float | None


class AreaHistory(msgspec.Struct, kw_only=True):
    level: str
    code: str
    days: list[DayAvailability]


def _tracker(request: web.Request) -> tuple[CoverageTracker, Coverage]:
    tracker = request.app.get(keys.COVERAGE)
    if tracker is None:
        raise ApiError(404, "coverage needs a fleet file: set `fleet` in the hub's config", code="no_fleet")
    coverage = tracker.latest or tracker.evaluate_now()
    return tracker, coverage


def _ratio(tracker: CoverageTracker, level: str, code: str, measure: str) -> float | None:
    known = tracker.known.get((level, code, measure), 0.0)
    return None if known <= 0 else round(tracker.up.get((level, code, measure), 0.0) / known, 6)


def _days(level: str, code: str, since: str) -> Callable[[sqlite_utils.Database], list[tuple[Any, ...]]]:
    def read(db: sqlite_utils.Database) -> list[tuple[Any, ...]]:
        return db.conn.execute(
            "SELECT day, measure, known_s, up_s FROM coverage_daily "
            "WHERE level = ? AND code = ? AND day >= ? "
            "ORDER BY day, measure",
            (level, code, since),
        ).fetchall()

    return read


def register(api: Api) -> None:
    """Declare the coverage operations."""

    @api.route(
        "GET",
        "/api/v1/coverage",
        summary="Coverage of the whole fleet and per county",
        response=CoverageSummary,
        tags=("coverage",),
    )
    async def coverage_summary(request: web.Request) -> CoverageSummary:
        tracker, cov = _tracker(request)
        names = {c.code: c.name for c in tracker.fleet.counties}
        counties = [
            CountyCoverage(
                code=code,
                name=names.get(code, code),
                townships=c.townships,
                townships_dual_gigabit=dict(c.dual_gigabit),
                villages=c.villages,
                villages_covered=dict(c.covered),
                dual_gigabit_availability=_ratio(tracker, "county", code, "dual_gigabit"),
                covered_availability=_ratio(tracker, "county", code, "covered"),
            )
            for code, c in sorted(cov.counties.items())
        ]
        townships = sum(c.townships for c in counties)
        dual = sum(c.townships_dual_gigabit["yes"] for c in counties)
        return CoverageSummary(
            evaluated_at=cov.at,
            townships=townships,
            townships_dual_gigabit=dual,
            townships_dual_gigabit_ratio=dual / townships if townships else 0.0,
            villages=sum(c.villages for c in counties),
            villages_covered=sum(c.villages_covered["yes"] for c in counties),
            counties=counties,
        )

    @api.route(
        "GET",
        "/api/v1/coverage/areas",
        summary="Townships and villages with their current coverage",
        response=AreaList,
        query=(
            Query("level", "township (default) or village."),
            Query("county", "A county code."),
            Query("township", "A township code (villages only)."),
        ),
        tags=("coverage",),
    )
    async def coverage_areas(request: web.Request) -> AreaList:
        tracker, cov = _tracker(request)
        level = request.query.get("level") or "township"
        if level not in ("township", "village"):
            raise ApiError(400, "level must be township or village", code="invalid_query")
        county, township = text(request, "county"), text(request, "township")
        index = tracker.fleet.index
        if level == "township":
            items = [
                TownshipCoverage(
                    code=code,
                    name=index.townships[code].name,
                    county=index.townships[code].county,
                    uplinks=t.uplinks,
                    uplinks_up=t.uplinks_up,
                    dual_gigabit=t.dual_gigabit,
                    covered=t.covered,
                    dual_gigabit_availability=_ratio(tracker, "township", code, "dual_gigabit"),
                    covered_availability=_ratio(tracker, "township", code, "covered"),
                )
                for code, t in sorted(cov.townships.items())
                if not county or index.townships[code].county == county
            ]
            return AreaList(total=len(items), townships=items)
        villages = [
            VillageCoverage(
                code=code,
                name=index.villages[code].name,
                township=index.villages[code].township,
                cellular=v.cellular,
                backhaul=v.backhaul,
                has_kiosk=v.has_kiosk,
                kiosk=v.kiosk,
                covered=v.covered,
                service=v.service,
            )
            for code, v in sorted(cov.villages.items())
            if (not township or index.villages[code].township == township)
            and (not county or tracker.topology.villages[code].county == county)
        ]
        return AreaList(total=len(villages), villages=villages)

    @api.route(
        "GET",
        "/api/v1/coverage/{level}/{code}",
        summary="Daily availability of one county, township or village",
        response=AreaHistory,
        query=(Query("days", "How many days back (1-400, default 30).", type="integer"),),
        tags=("coverage",),
    )
    async def coverage_history(request: web.Request) -> AreaHistory:
        tracker, _ = _tracker(request)
        level, code = request.match_info["level"], request.match_info["code"]
        index = tracker.fleet.index
        codes: dict[str, Mapping[str, object]] = {
            "county": index.counties,
            "township": index.townships,
            "village": index.villages,
        }
        known = codes.get(level)
        if known is None or code not in known:
            raise ApiError(404, f"no {level[:20]} {code[:40]!r} in the fleet file")
        days = integer(request, "days", 30, 1, 400)
        await tracker.flush()  # so that today's row includes the last minute
        since = (datetime.fromtimestamp(request.app[keys.CLOCK](), UTC) - timedelta(days=days - 1)).strftime(
            "%Y-%m-%d"
        )
        rows = await request.app[keys.COVERAGE_DB].read(_days(level, code, since))
        return AreaHistory(
            level=level,
            code=code,
            days=[
                DayAvailability(
                    day=d, measure=m, known_seconds=k, up_seconds=u, availability=u / k if k else None
                )
                for d, m, k, u in rows
            ],
        )
