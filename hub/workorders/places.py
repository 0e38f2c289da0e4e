"""Where things are: kiosks, villages and their township and county, from the fleet file.

Every place label in work orders, metrics and exports comes from here, never from a
payload, so a kiosk cannot file an appeal "from" somewhere the fleet does not know and
metric labels stay bounded by the fleet. Without a fleet file the hub cannot check
places at all; it then trusts kiosks (a development set-up, logged at start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contract.fleet import Fleet

#: An Open311 point farther than this from every village centre is not in our area.
MAX_NEAREST_KM = 30.0


@dataclass(frozen=True, slots=True)
class Place:
    """A village with its township and county, codes and names."""

    village: str
    township: str
    county: str
    village_name: str = ""
    township_name: str = ""
    county_name: str = ""
    lat: float | None = None
    lon: float | None = None

    @property
    def address(self) -> str:
        """Most specific first, as Open311's ``address`` asks."""
        parts = [self.village_name or self.village, self.township_name, self.county_name]
        return ", ".join(p for p in parts if p)

    def within(self, scope: str, code: str) -> bool:
        """Whether this place is inside ``scope``/``code`` (scope ``all`` contains everything)."""
        if scope == "all":
            return True
        return {"county": self.county, "township": self.township, "village": self.village}.get(scope) == code


class Places:
    """Lookups over the fleet; every method answers None for what the fleet does not know."""

    def __init__(self, fleet: Fleet | None) -> None:
        self.fleet = fleet
        self._villages: dict[str, Place] = {}
        self._kiosks: dict[str, str] = {}
        if fleet is None:
            return
        index = fleet.index
        for v in fleet.villages:
            township = index.townships[v.township]
            county = index.counties[township.county]
            self._villages[v.code] = Place(
                v.code, township.code, county.code, v.name, township.name, county.name, v.lat, v.lon
            )
        self._kiosks = {k.id: k.village for k in fleet.kiosks}
        self._by_name: dict[str, list[Place]] = {}
        for place in self._villages.values():
            self._by_name.setdefault(place.village_name, []).append(place)

    @property
    def checked(self) -> bool:
        """Whether there is a fleet to check against."""
        return self.fleet is not None

    def village(self, code: str) -> Place | None:
        """The village with this code."""
        if self.fleet is None:
            return Place(code, "", "") if code else None
        return self._villages.get(code)

    def kiosk(self, node: str) -> Place | None:
        """The village a kiosk serves (None: not a kiosk of the fleet)."""
        if self.fleet is None:
            return Place("", "", "")
        village = self._kiosks.get(node)
        return None if village is None else self._villages.get(village)

    def kiosk_ids(self) -> list[str]:
        """Every kiosk of the fleet."""
        return sorted(self._kiosks)

    def by_name(self, name: str) -> Place | None:
        """A village by its exact name, when the name is unique in the fleet."""
        if self.fleet is None:
            return None
        found = self._by_name.get(name.strip(), [])
        return found[0] if len(found) == 1 else None

    def nearest(self, lat: float, lon: float) -> Place | None:
        """The village whose centre is nearest to a point, within MAX_NEAREST_KM."""
        best: tuple[float, Place] | None = None
        for place in self._villages.values():
            if place.lat is None or place.lon is None:
                continue
            km = _haversine_km(lat, lon, place.lat, place.lon)
            if best is None or km < best[0]:
                best = (km, place)
        return best[1] if best is not None and best[0] <= MAX_NEAREST_KM else None

    def villages(self) -> list[Place]:
        """Every village, in fleet order."""
        return list(self._villages.values())


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
