"""The fleet inventory: areas, sites, devices, coordinates and kiosks.

A real deployment writes this file by hand or exports it from the operator's
systems; the simulator generates a synthetic one (``cunlink fleet generate``).
The hub, the edge agent and the simulator all read it with :func:`load_fleet`.

The file is YAML (``.yaml``/``.yml``) or JSON (``.json``), chosen by extension,
with one top-level mapping whose keys are the fields of :class:`Fleet`. Every
struct rejects unknown fields, so a typo fails loudly instead of being ignored.

Identifiers are plain strings. Area codes follow the Chinese administrative
division scheme (6 digits for a county, 9 for a township, 12 for a village), but
nothing here depends on that beyond uniqueness.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import msgspec
import msgspec.json
import yaml

from contract.errors import ContractError

FLEET_FORMAT_VERSION = 1

DeviceKind = Literal["gnb", "olt_uplink", "ups"]
SiteKind = Literal["cell", "exchange", "service_station"]
UplinkLeg = Literal["a", "b"]

DEVICE_KINDS: tuple[DeviceKind, ...] = ("gnb", "olt_uplink", "ups")

# Only physically impossible coordinates are rejected: the format is not tied to
# one city, so a tighter box belongs to whoever generates or audits a fleet.
_LAT_RANGE = (-90.0, 90.0)
_LON_RANGE = (-180.0, 180.0)


class FleetError(ContractError):
    """A fleet file cannot be read, does not parse, or is inconsistent.

    The message names the file (when there is one) and the offending id.
    """


class _Record(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    pass


class County(_Record, frozen=True, kw_only=True):
    """A county-level division (区/县).

    Attributes:
        code: Administrative division code, unique in the fleet (e.g. ``"511902"``).
        name: Chinese name (e.g. ``"巴州区"``).
    """

    code: str
    name: str


class Township(_Record, frozen=True, kw_only=True):
    """A township-level division (镇/乡/街道).

    Attributes:
        code: Administrative division code, unique in the fleet (e.g. ``"511902101"``).
        name: Chinese name (e.g. ``"曾口镇"``).
        county: ``code`` of the county it belongs to.
        lat: Latitude of the township seat, WGS84 degrees north.
        lon: Longitude of the township seat, WGS84 degrees east.
    """

    code: str
    name: str
    county: str
    lat: float
    lon: float


class Village(_Record, frozen=True, kw_only=True):
    """An administrative village (村) or urban community (社区).

    Attributes:
        code: Administrative division code, unique in the fleet (e.g. ``"511902101201"``).
        name: Chinese name (e.g. ``"石门村"``).
        township: ``code`` of the township it belongs to.
        lat: Latitude of the village centre, WGS84 degrees north.
        lon: Longitude of the village centre, WGS84 degrees east.
    """

    code: str
    name: str
    township: str
    lat: float
    lon: float


class Site(_Record, frozen=True, kw_only=True):
    """A physical place that holds devices or kiosks.

    Attributes:
        id: Unique site id (e.g. ``"cell-0001"``).
        kind: ``cell`` (a 5G tower with its gNB), ``exchange`` (the township's
            central office holding the OLT and its uplinks) or ``service_station``
            (a village service station holding a kiosk).
        township: ``code`` of the township the site is in.
        village: ``code`` of the village the site is in, or absent when the site
            is not in a particular village (e.g. a township exchange).
        lat: Latitude, WGS84 degrees north.
        lon: Longitude, WGS84 degrees east.
    """

    id: str
    kind: SiteKind
    township: str
    village: str | None = None
    lat: float
    lon: float


class Device(_Record, frozen=True, kw_only=True):
    """A managed network device, reachable over SNMP at ``address``.

    Attributes:
        id: Unique device id (e.g. ``"gnb-0001"``); also the SNMP context name.
        kind: ``gnb`` (5G base station), ``olt_uplink`` (one gigabit uplink of a
            township OLT) or ``ups`` (a site's uninterruptible power supply).
        site: ``id`` of the site the device is installed at.
        address: Management IPv4 address (a private 10.x address).
        model: Vendor model string, free text.
        backhauls: For ``olt_uplink`` only: ``code`` of the township whose
            traffic this uplink carries. Absent for other kinds.
        uplink: For ``olt_uplink`` only: which of the township's two gigabit
            uplinks this is, ``a`` or ``b``. Absent for other kinds.
    """

    id: str
    kind: DeviceKind
    site: str
    address: str
    model: str
    backhauls: str | None = None
    uplink: UplinkLeg | None = None


class Kiosk(_Record, frozen=True, kw_only=True):
    """A village service kiosk.

    Attributes:
        id: Unique kiosk id (e.g. ``"kiosk-0001"``); also its MQTT node id.
        village: ``code`` of the village it serves.
        site: ``id`` of the site (normally a ``service_station``) it stands at.
    """

    id: str
    village: str
    site: str


class Fleet(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, weakref=True):
    """The whole inventory.

    Attributes:
        format: Format version of this file; this module reads ``FLEET_FORMAT_VERSION``.
        seed: The generator seed for a synthetic fleet, absent for a real one.
        counties: County-level divisions.
        townships: Township-level divisions, each in one county.
        villages: Villages, each in one township.
        sites: Sites, each in one township (and optionally one village).
        devices: Devices, each at one site.
        kiosks: Kiosks, each serving one village from one site.
    """

    format: int = FLEET_FORMAT_VERSION
    seed: int | None = None
    counties: tuple[County, ...] = ()
    townships: tuple[Township, ...] = ()
    villages: tuple[Village, ...] = ()
    sites: tuple[Site, ...] = ()
    devices: tuple[Device, ...] = ()
    kiosks: tuple[Kiosk, ...] = ()

    @property
    def index(self) -> FleetIndex:
        """Lookups by id and by relation, built on first use and kept with the fleet."""
        key = id(self)
        cached = _INDEXES.get(key)
        if cached is None:
            cached = FleetIndex(self)
            _INDEXES[key] = cached
            weakref.finalize(self, _INDEXES.pop, key, None)
        return cached


# Keyed by id() rather than by the fleet itself: hashing a frozen struct hashes
# every record, which would make each lookup cost as much as building the index.
_INDEXES: dict[int, FleetIndex] = {}


class FleetIndex:
    """Dictionaries over a :class:`Fleet`; get one with ``fleet.index``.

    Every lookup by id raises ``KeyError`` for an unknown id.
    """

    def __init__(self, fleet: Fleet) -> None:
        self.counties: dict[str, County] = {c.code: c for c in fleet.counties}
        self.townships: dict[str, Township] = {t.code: t for t in fleet.townships}
        self.villages: dict[str, Village] = {v.code: v for v in fleet.villages}
        self.sites: dict[str, Site] = {s.id: s for s in fleet.sites}
        self.devices: dict[str, Device] = {d.id: d for d in fleet.devices}
        self.kiosks: dict[str, Kiosk] = {k.id: k for k in fleet.kiosks}
        self._by_site: dict[str, list[Device]] = {}
        self._uplinks: dict[str, list[Device]] = {}
        self._townships_of: dict[str, list[Township]] = {}
        self._villages_of: dict[str, list[Village]] = {}
        for d in fleet.devices:
            self._by_site.setdefault(d.site, []).append(d)
            if d.backhauls is not None:
                self._uplinks.setdefault(d.backhauls, []).append(d)
        for t in fleet.townships:
            self._townships_of.setdefault(t.county, []).append(t)
        for v in fleet.villages:
            self._villages_of.setdefault(v.township, []).append(v)

    def device(self, device_id: str) -> Device:
        return self.devices[device_id]

    def site(self, site_id: str) -> Site:
        return self.sites[site_id]

    def devices_at_site(self, site_id: str) -> tuple[Device, ...]:
        """Devices installed at a site, in file order (empty for an unknown site)."""
        return tuple(self._by_site.get(site_id, ()))

    def site_of(self, device_id: str) -> Site:
        return self.sites[self.devices[device_id].site]

    def township_of(self, device_id: str) -> Township:
        return self.townships[self.site_of(device_id).township]

    def county_of(self, device_id: str) -> County:
        return self.counties[self.township_of(device_id).county]

    def village_of(self, device_id: str) -> Village | None:
        code = self.site_of(device_id).village
        return None if code is None else self.villages[code]

    def ups_of_site(self, site_id: str) -> Device | None:
        """The first UPS at a site, or ``None`` when the site has none."""
        return next((d for d in self._by_site.get(site_id, ()) if d.kind == "ups"), None)

    def uplinks_of_township(self, township_code: str) -> tuple[Device, ...]:
        """The OLT uplinks that backhaul a township, ordered as in the file."""
        return tuple(self._uplinks.get(township_code, ()))

    def townships_of_county(self, county_code: str) -> tuple[Township, ...]:
        return tuple(self._townships_of.get(county_code, ()))

    def villages_of_township(self, township_code: str) -> tuple[Village, ...]:
        return tuple(self._villages_of.get(township_code, ()))

    def labels(self, device_id: str) -> dict[str, str]:
        """Bounded place labels for a device: county, township, village (may be ``""``), site."""
        site = self.site_of(device_id)
        township = self.townships[site.township]
        village = "" if site.village is None else self.villages[site.village].name
        return {
            "county": self.counties[township.county].name,
            "township": township.name,
            "village": village,
            "site": site.id,
        }


def validate_fleet(fleet: Fleet, source: str = "<fleet>") -> None:
    """Check uniqueness, references and per-kind rules; raise :class:`FleetError` on the first problem."""
    if fleet.format != FLEET_FORMAT_VERSION:
        raise FleetError(
            f"{source}: format {fleet.format} is not supported (expected {FLEET_FORMAT_VERSION})"
        )

    def unique(kind: str, ids: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                raise FleetError(f"{source}: duplicate {kind} {i!r}")
            seen.add(i)
        return seen

    def ref(kind: str, owner: str, field: str, value: str, known: set[str]) -> None:
        if value not in known:
            raise FleetError(f"{source}: {kind} {owner!r} refers to unknown {field} {value!r}")

    def place(kind: str, owner: str, lat: float, lon: float) -> None:
        if not (_LAT_RANGE[0] <= lat <= _LAT_RANGE[1] and _LON_RANGE[0] <= lon <= _LON_RANGE[1]):
            raise FleetError(f"{source}: {kind} {owner!r} has impossible coordinates lat={lat} lon={lon}")

    counties = unique("county", (c.code for c in fleet.counties))
    townships = unique("township", (t.code for t in fleet.townships))
    villages = unique("village", (v.code for v in fleet.villages))
    sites = unique("site", (s.id for s in fleet.sites))
    unique("device", (d.id for d in fleet.devices))
    unique("kiosk", (k.id for k in fleet.kiosks))

    for t in fleet.townships:
        ref("township", t.code, "county", t.county, counties)
        place("township", t.code, t.lat, t.lon)
    for v in fleet.villages:
        ref("village", v.code, "township", v.township, townships)
        place("village", v.code, v.lat, v.lon)
    village_township = {v.code: v.township for v in fleet.villages}
    for s in fleet.sites:
        ref("site", s.id, "township", s.township, townships)
        if s.village is not None:
            ref("site", s.id, "village", s.village, villages)
            if village_township[s.village] != s.township:
                raise FleetError(
                    f"{source}: site {s.id!r} is in township {s.township!r} "
                    f"but its village {s.village!r} is in {village_township[s.village]!r}"
                )
        place("site", s.id, s.lat, s.lon)
    for d in fleet.devices:
        ref("device", d.id, "site", d.site, sites)
        is_uplink = d.kind == "olt_uplink"
        if is_uplink and (d.backhauls is None or d.uplink is None):
            raise FleetError(f"{source}: olt_uplink {d.id!r} needs both 'backhauls' and 'uplink'")
        if not is_uplink and (d.backhauls is not None or d.uplink is not None):
            raise FleetError(f"{source}: device {d.id!r} of kind {d.kind} cannot have 'backhauls'/'uplink'")
        if d.backhauls is not None:
            ref("device", d.id, "township", d.backhauls, townships)
    for k in fleet.kiosks:
        ref("kiosk", k.id, "village", k.village, villages)
        ref("kiosk", k.id, "site", k.site, sites)


def _format_of(path: Path) -> Literal["yaml", "json"]:
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        return "yaml"
    if suffix == ".json":
        return "json"
    raise FleetError(f"{path}: unknown fleet file extension {suffix!r} (use .yaml, .yml or .json)")


# Plain (unquoted) scalars that mean "no value" in YAML; every other scalar stays a string
# and is converted by msgspec to the field's type.
_YAML_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def _yaml_data(node: yaml.Node) -> Any:
    """Plain data from a composed YAML node, scalars as strings (nulls as ``None``)."""
    if isinstance(node, yaml.ScalarNode):
        value: str = node.value
        return None if not node.style and value in _YAML_NULLS else value
    if isinstance(node, yaml.MappingNode):
        return {_yaml_data(k): _yaml_data(v) for k, v in node.value}
    return [_yaml_data(n) for n in node.value]


def _load_yaml(data: bytes) -> Any:
    # PyYAML's C parser composes the node tree; its Python constructor and implicit-type
    # resolver would then cost twice as long again on a city fleet (~13k records). Scalars
    # stay strings here and msgspec converts each to its field's type, which also means a
    # hand-written file need not quote numeric-looking codes such as 511902.
    node = yaml.compose(data, Loader=yaml.CBaseLoader)
    return None if node is None else _yaml_data(node)


def decode_fleet(data: bytes, fmt: Literal["yaml", "json"], source: str = "<fleet>") -> Fleet:
    """Parse and validate fleet bytes; ``source`` names the origin in errors."""
    try:
        if fmt == "json":
            fleet = msgspec.json.decode(data, type=Fleet)
        else:
            raw = _load_yaml(data)
            if not isinstance(raw, dict):
                raise FleetError(f"{source}: expected a mapping at the top level")
            fleet = msgspec.convert(raw, type=Fleet, strict=False)
    except yaml.YAMLError as exc:
        raise FleetError(f"{source}: not valid YAML: {exc}") from None
    except msgspec.ValidationError as exc:
        raise FleetError(f"{source}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise FleetError(f"{source}: not valid JSON: {exc}") from None
    validate_fleet(fleet, source)
    return fleet


def encode_fleet(fleet: Fleet, fmt: Literal["yaml", "json"]) -> bytes:
    """Serialise a fleet; YAML puts one record per line so files diff well by hand."""
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(fleet), indent=1) + b"\n"
    header = (
        f"# cunlink fleet inventory, format {fleet.format}. Fields: contract/fleet.py, docs/simulator.md\n"
    ).encode()
    body = yaml.dump(
        msgspec.to_builtins(fleet),
        Dumper=yaml.CSafeDumper,
        default_flow_style=None,
        allow_unicode=True,
        sort_keys=False,
        width=1000,
        encoding="utf-8",
    )
    return header + body


def load_fleet(path: str | PathLike[str]) -> Fleet:
    """Read and validate a fleet file (YAML or JSON by extension)."""
    p = Path(path)
    fmt = _format_of(p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise FleetError(f"{p}: cannot read fleet file: {exc.strerror}") from None
    return decode_fleet(data, fmt, str(p))


def dump_fleet(fleet: Fleet, path: str | PathLike[str]) -> None:
    """Validate and write a fleet file (YAML or JSON by extension), replacing it atomically."""
    p = Path(path)
    fmt = _format_of(p)
    validate_fleet(fleet, str(p))
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        tmp.write_bytes(encode_fleet(fleet, fmt))
        tmp.replace(p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FleetError(f"{p}: cannot write fleet file: {exc.strerror}") from None
