"""Deterministic synthetic Bazhong fleet: ``cunlink fleet generate``.

The same seed always gives the same :class:`~contract.fleet.Fleet` and so the
same bytes on disk: every random draw comes from one ``random.Random(seed)`` in
a fixed order, and nothing iterates over a set or a hash-ordered dict.

Shape of the result (defaults):

* the five county-level divisions with 150 townships, ~1,900 villages;
* one ``exchange`` site per township with two gigabit OLT uplinks (``a``/``b``);
* exactly 3,131 gNBs, one per ``cell`` site, spread by township density;
* 314 villages with a kiosk, each at its own ``service_station`` site;
* a UPS at every site.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from contract.fleet import (
    FLEET_FORMAT_VERSION,
    County,
    Device,
    Fleet,
    Kiosk,
    Site,
    Township,
    UplinkLeg,
    Village,
)

DEFAULT_SEED = 2024
DEFAULT_GNBS = 3131
DEFAULT_KIOSKS = 314
# One decimal degree of latitude is ~111 km; five decimals (~1 m) is as precise as a site survey.
_DECIMALS = 5


class _Point(msgspec.Struct, frozen=True):
    lon: float
    lat: float


class _Extent(msgspec.Struct, frozen=True):
    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float


class _CountySpec(msgspec.Struct, frozen=True):
    code: str
    name: str
    seat: _Point
    radius: float
    townships: list[str]


class _Models(msgspec.Struct, frozen=True):
    gnb: list[str]
    olt_uplink: list[str]
    ups: list[str]


class _Data(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    extent: _Extent
    counties: list[_CountySpec]
    village_first: list[str]
    village_second: list[str]
    villages_per_township: dict[str, tuple[int, int]]
    gnb_weight: dict[str, float]
    models: _Models


def load_area_data() -> _Data:
    """The packaged county/township names and tuning numbers (simulator/bazhong.yaml)."""
    # Next to this module rather than importlib.resources: works the same from a
    # checkout, an editable install and a wheel (package-data ships *.yaml).
    text = (Path(__file__).parent / "bazhong.yaml").read_bytes()
    raw: Any = yaml.load(text, Loader=yaml.CSafeLoader)
    return msgspec.convert(raw, type=_Data)


def _township_kind(name: str) -> str:
    """街道 (urban subdistrict), 镇 (town) or 乡 (rural township), from the name's suffix."""
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return suffix
    return "镇"


# Chinese division codes reserve 0xx for subdistricts, 1xx for towns, 2xx for townships.
_CODE_BASE = {"街道": 1, "镇": 101, "乡": 201}


@dataclass
class _Builder:
    data: _Data
    rng: random.Random
    sites: list[Site]
    devices: list[Device]
    n_ups: int = 0

    def point_near(self, lon: float, lat: float, radius: float) -> tuple[float, float]:
        """A uniform point in a disc of ``radius`` degrees (of latitude), clamped to the extent."""
        r = radius * math.sqrt(self.rng.random())
        a = self.rng.uniform(0.0, 2.0 * math.pi)
        # Degrees of longitude are shorter than degrees of latitude by cos(latitude).
        x = lon + r * math.cos(a) / math.cos(math.radians(lat))
        y = lat + r * math.sin(a)
        e = self.data.extent
        x = min(max(x, e.lon_min + 0.01), e.lon_max - 0.01)
        y = min(max(y, e.lat_min + 0.01), e.lat_max - 0.01)
        return round(x, _DECIMALS), round(y, _DECIMALS)

    def add_site(self, site: Site) -> None:
        self.sites.append(site)
        self.n_ups += 1
        n = self.n_ups
        self.devices.append(
            Device(
                id=f"ups-{n:04d}",
                kind="ups",
                site=site.id,
                address=f"10.30.{n // 250}.{n % 250 + 1}",
                model=self.rng.choice(self.data.models.ups),
            )
        )


def _village_names(rng: random.Random, data: _Data, count: int, suffix: str) -> list[str]:
    names: list[str] = []
    taken: set[str] = set()
    while len(names) < count:
        name = rng.choice(data.village_first) + rng.choice(data.village_second) + suffix
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def _apportion(total: int, weights: list[float], minimum: int) -> list[int]:
    """Largest-remainder split of ``total`` by ``weights``, each share at least ``minimum``."""
    spare = total - minimum * len(weights)
    scale = sum(weights)
    quotas = [spare * w / scale for w in weights]
    shares = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [s + minimum for s in shares]


def generate_fleet(
    seed: int = DEFAULT_SEED, *, gnbs: int = DEFAULT_GNBS, kiosks: int = DEFAULT_KIOSKS
) -> Fleet:
    """Build the synthetic Bazhong fleet for ``seed``."""
    data = load_area_data()
    rng = random.Random(seed)  # noqa: S311 - simulation, not security
    b = _Builder(data=data, rng=rng, sites=[], devices=[])
    counties: list[County] = []
    townships: list[Township] = []
    villages: list[Village] = []
    weights: list[float] = []
    radius_of: dict[str, float] = {}

    for cs in data.counties:
        counties.append(County(code=cs.code, name=cs.name))
        next_code = dict(_CODE_BASE)
        for tname in cs.townships:
            kind = _township_kind(tname)
            code = f"{cs.code}{next_code[kind]:03d}"
            next_code[kind] += 1
            # Subdistricts sit in the county town; towns and townships spread over the county.
            spread = cs.radius * (0.12 if kind == "街道" else 1.0)
            lon, lat = b.point_near(cs.seat.lon, cs.seat.lat, spread)
            townships.append(Township(code=code, name=tname, county=cs.code, lat=lat, lon=lon))
            weights.append(data.gnb_weight[kind] * rng.uniform(0.7, 1.3))
            radius_of[code] = cs.radius / math.sqrt(len(cs.townships)) * 0.8
            lo, hi = data.villages_per_township[kind]
            vsuffix = "社区" if kind == "街道" else "村"
            for i, vname in enumerate(_village_names(rng, data, rng.randint(lo, hi), vsuffix)):
                vlon, vlat = b.point_near(lon, lat, radius_of[code])
                # Communities take 0xx village codes, administrative villages 2xx.
                vcode = f"{code}{(1 if vsuffix == '社区' else 201) + i:03d}"
                villages.append(Village(code=vcode, name=vname, township=code, lat=vlat, lon=vlon))

    villages_of: dict[str, list[Village]] = {}
    for v in villages:
        villages_of.setdefault(v.township, []).append(v)

    for n, t in enumerate(townships, start=1):
        site = Site(id=f"exch-{n:03d}", kind="exchange", township=t.code, lat=t.lat, lon=t.lon)
        b.add_site(site)
        model = rng.choice(data.models.olt_uplink)
        legs: tuple[UplinkLeg, UplinkLeg] = ("a", "b")
        for leg_no, leg in enumerate(legs):
            b.devices.append(
                Device(
                    id=f"olt-{n:03d}-{leg}",
                    kind="olt_uplink",
                    site=site.id,
                    address=f"10.40.{n // 120}.{(n % 120) * 2 + leg_no + 1}",
                    model=model,
                    backhauls=t.code,
                    uplink=leg,
                )
            )

    per_township = _apportion(gnbs, weights, minimum=3) if gnbs >= 3 * len(townships) else None
    gnb_no = 0
    for ti, t in enumerate(townships):
        count = per_township[ti] if per_township else (1 if ti < gnbs else 0)
        for _ in range(count):
            gnb_no += 1
            # Most towers stand by a village; the rest along roads between them.
            village: Village | None = rng.choice(villages_of[t.code]) if rng.random() < 0.6 else None
            if village is not None:
                lon, lat = b.point_near(village.lon, village.lat, 0.01)
            else:
                lon, lat = b.point_near(t.lon, t.lat, radius_of[t.code])
            site = Site(
                id=f"cell-{gnb_no:04d}",
                kind="cell",
                township=t.code,
                village=None if village is None else village.code,
                lat=lat,
                lon=lon,
            )
            b.add_site(site)
            b.devices.append(
                Device(
                    id=f"gnb-{gnb_no:04d}",
                    kind="gnb",
                    site=site.id,
                    address=f"10.20.{gnb_no // 250}.{gnb_no % 250 + 1}",
                    model=rng.choice(data.models.gnb),
                )
            )

    # Every township gets one kiosk village first, the rest go where chance puts them.
    first = [rng.choice(villages_of[t.code]) for t in townships]
    chosen = {v.code for v in first}
    rest = [v for v in villages if v.code not in chosen]
    rng.shuffle(rest)
    picked = (first + rest)[:kiosks]
    picked.sort(key=lambda v: v.code)
    kiosk_list: list[Kiosk] = []
    for n, v in enumerate(picked, start=1):
        lon, lat = b.point_near(v.lon, v.lat, 0.003)
        site = Site(
            id=f"svc-{n:04d}", kind="service_station", township=v.township, village=v.code, lat=lat, lon=lon
        )
        b.add_site(site)
        kiosk_list.append(Kiosk(id=f"kiosk-{n:04d}", village=v.code, site=site.id))

    kind_order = {"gnb": 0, "olt_uplink": 1, "ups": 2}
    devices = sorted(b.devices, key=lambda d: (kind_order[d.kind], d.id))
    return Fleet(
        format=FLEET_FORMAT_VERSION,
        seed=seed,
        counties=tuple(counties),
        townships=tuple(townships),
        villages=tuple(villages),
        sites=tuple(b.sites),
        devices=tuple(devices),
        kiosks=tuple(kiosk_list),
    )
