"""Which devices each village, township and county depends on, and whether service is up.

From the fleet file: a village is served by the gNBs standing in it (or, when none does,
by its township's gNBs), its township's two OLT uplinks carry its backhaul
("dual-gigabit" when both are up) and its kiosks serve its villagers. Every verdict is
three-valued: up (True), down (False) or unknown (None) when the hub has not heard of a
device since it (re)started. Unknown is never counted as up: "100% of townships have
dual-gigabit coverage" holds only when every uplink is measured up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from contract.fleet import Fleet

Verdict = bool | None


def all_of(values: Iterable[Verdict]) -> Verdict:
    """Three-valued AND: down if any is down, else unknown if any is unknown, else up."""
    result: Verdict = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def any_of(values: Iterable[Verdict]) -> Verdict:
    """Three-valued OR: up if any is up, else unknown if any is unknown, else down (and down if none)."""
    result: Verdict = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


@dataclass(frozen=True, slots=True)
class VillageDeps:
    code: str
    township: str
    county: str
    gnbs: tuple[str, ...]
    kiosks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TownshipDeps:
    code: str
    county: str
    uplinks: tuple[str, ...]
    gnbs: tuple[str, ...]


class Topology:
    """Dependencies of every area, built once from the fleet."""

    def __init__(self, fleet: Fleet) -> None:
        index = fleet.index
        gnbs_of_village: dict[str, list[str]] = {}
        gnbs_of_township: dict[str, list[str]] = {}
        for device in fleet.devices:
            if device.kind != "gnb":
                continue
            site = index.sites[device.site]
            gnbs_of_township.setdefault(site.township, []).append(device.id)
            if site.village is not None:
                gnbs_of_village.setdefault(site.village, []).append(device.id)
        kiosks_of: dict[str, list[str]] = {}
        for kiosk in fleet.kiosks:
            kiosks_of.setdefault(kiosk.village, []).append(kiosk.id)
        self.townships = {
            t.code: TownshipDeps(
                t.code,
                t.county,
                tuple(d.id for d in index.uplinks_of_township(t.code)),
                tuple(gnbs_of_township.get(t.code, ())),
            )
            for t in fleet.townships
        }
        self.villages = {
            v.code: VillageDeps(
                v.code,
                v.township,
                self.townships[v.township].county,
                tuple(gnbs_of_village.get(v.code) or gnbs_of_township.get(v.township) or ()),
                tuple(kiosks_of.get(v.code, ())),
            )
            for v in fleet.villages
        }
        self.counties = tuple(c.code for c in fleet.counties)
        self.gnbs = tuple(d.id for d in fleet.devices if d.kind == "gnb")
        self.uplinks = tuple(d.id for d in fleet.devices if d.kind == "olt_uplink")
        self.kiosks = tuple(k.id for k in fleet.kiosks)


class VillageState(NamedTuple):
    cellular: Verdict
    backhaul: Verdict
    kiosk: Verdict
    """None also when the village has no kiosk (see ``has_kiosk``)."""
    has_kiosk: bool
    covered: Verdict
    """Cellular and backhaul up: 5G service is actually available."""
    service: Verdict
    """Covered, and its kiosk reachable when it has one."""


class TownshipState(NamedTuple):
    uplinks_up: int
    uplinks: int
    dual_gigabit: Verdict
    backhaul: Verdict
    covered: Verdict


class CountyState(NamedTuple):
    townships: int
    dual_gigabit: Mapping[str, int]
    """Townships by ``yes``/``no``/``unknown``."""
    villages: int
    covered: Mapping[str, int]
    """Villages by ``yes``/``no``/``unknown`` (5G and backhaul up)."""


class Coverage(NamedTuple):
    """The verdict for every area at one instant."""

    at: float
    villages: Mapping[str, VillageState]
    townships: Mapping[str, TownshipState]
    counties: Mapping[str, CountyState]


def evaluate(topology: Topology, up: Mapping[str, Verdict], now: float) -> Coverage:
    """Coverage given ``up``: device or kiosk id -> serving (missing ids are unknown)."""
    townships: dict[str, TownshipState] = {}
    for code, deps in topology.townships.items():
        links = [up.get(d) for d in deps.uplinks]
        backhaul = any_of(links)
        townships[code] = TownshipState(
            sum(1 for v in links if v is True),
            len(links),
            all_of(links) if len(links) >= 2 else False,
            backhaul,
            all_of((backhaul, any_of(up.get(g) for g in deps.gnbs))),
        )
    villages: dict[str, VillageState] = {}
    for code, v in topology.villages.items():
        cellular = any_of(up.get(g) for g in v.gnbs)
        backhaul = townships[v.township].backhaul
        kiosk = any_of(up.get(k) for k in v.kiosks) if v.kiosks else None
        covered = all_of((cellular, backhaul))
        service = all_of((covered, kiosk)) if v.kiosks else covered
        villages[code] = VillageState(cellular, backhaul, kiosk, bool(v.kiosks), covered, service)
    counties: dict[str, CountyState] = {}
    for county in topology.counties:
        dual = {"yes": 0, "no": 0, "unknown": 0}
        for code, deps in topology.townships.items():
            if deps.county == county:
                dual[_word(townships[code].dual_gigabit)] += 1
        measured = {"yes": 0, "no": 0, "unknown": 0}
        for code, v in topology.villages.items():
            if v.county == county:
                measured[_word(villages[code].covered)] += 1
        counties[county] = CountyState(sum(dual.values()), dual, sum(measured.values()), measured)
    return Coverage(now, villages, townships, counties)


def _word(verdict: Verdict) -> str:
    return "unknown" if verdict is None else "yes" if verdict else "no"
