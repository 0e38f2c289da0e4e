"""`cunlink fleet generate`: a deterministic synthetic Bazhong fleet of the right size and shape."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

import pytest

from contract.fleet import Fleet, Site, Township, Village, dump_fleet, load_fleet
from simulator.cli import main
from simulator.fleet_gen import generate_fleet, load_area_data

SEATS = {
    "巴州区": (106.77, 31.85),
    "恩阳区": (106.63, 31.80),
    "通江县": (107.25, 31.91),
    "南江县": (106.84, 32.35),
    "平昌县": (107.10, 31.56),
}


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    assert main(["fleet", "generate", "--seed", "11", "--out", str(first)]) == 0
    assert main(["fleet", "generate", "--seed", "11", "--out", str(second)]) == 0
    assert main(["fleet", "generate", "--seed", "12", "--out", str(other)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_counts(fleet: Fleet) -> None:
    assert [c.name for c in fleet.counties] == list(SEATS)
    assert 140 <= len(fleet.townships) <= 160
    kinds = Counter(d.kind for d in fleet.devices)
    assert kinds["gnb"] == 3131
    assert kinds["olt_uplink"] == 2 * len(fleet.townships)
    kiosk_villages = {k.village for k in fleet.kiosks}
    assert len(kiosk_villages) == len(fleet.kiosks) >= 314
    assert len(fleet.villages) > 1500
    # Every county has townships and every township has villages and base stations.
    ix = fleet.index
    for county in fleet.counties:
        assert ix.townships_of_county(county.code)
    gnb_townships = {ix.township_of(d.id).code for d in fleet.devices if d.kind == "gnb"}
    assert gnb_townships == {t.code for t in fleet.townships}


def test_two_uplinks_per_township_and_a_ups_at_every_site(fleet: Fleet) -> None:
    ix = fleet.index
    for township in fleet.townships:
        legs = sorted(d.uplink or "" for d in ix.uplinks_of_township(township.code))
        assert legs == ["a", "b"], township.code
    for site in fleet.sites:
        assert ix.ups_of_site(site.id) is not None, site.id
    for kiosk in fleet.kiosks:
        assert ix.site(kiosk.site).village == kiosk.village


def test_ids_and_addresses_are_unique(fleet: Fleet) -> None:
    addresses = [d.address for d in fleet.devices]
    assert len(set(addresses)) == len(addresses)
    assert all(a.startswith("10.") for a in addresses)
    assert fleet.devices[0].id == "gnb-0001"


def test_coordinates_are_inside_bazhong_and_around_each_county_seat(fleet: Fleet) -> None:
    extent = load_area_data().extent
    places: list[Township | Village | Site] = [*fleet.townships, *fleet.villages, *fleet.sites]
    for p in places:
        assert extent.lon_min <= p.lon <= extent.lon_max, p
        assert extent.lat_min <= p.lat <= extent.lat_max, p
    by_county: dict[str, list[tuple[float, float]]] = defaultdict(list)
    ix = fleet.index
    for d in fleet.devices:
        if d.kind == "gnb":
            site = ix.site(d.site)
            by_county[ix.county_of(d.id).name].append((site.lon, site.lat))
    for name, (lon, lat) in SEATS.items():
        points = by_county[name]
        assert abs(mean(p[0] for p in points) - lon) < 0.15, name
        assert abs(mean(p[1] for p in points) - lat) < 0.15, name


def test_urban_townships_get_more_base_stations(fleet: Fleet) -> None:
    ix = fleet.index
    per_township = Counter(ix.township_of(d.id).name for d in fleet.devices if d.kind == "gnb")
    urban = [n for t, n in per_township.items() if t.endswith("街道")]
    rural = [n for t, n in per_township.items() if t.endswith("乡")]
    assert mean(urban) > 2 * mean(rural)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_loads_back_fast(tmp_path: Path, fleet: Fleet, suffix: str) -> None:
    path = tmp_path / f"fleet{suffix}"
    dump_fleet(fleet, path)
    # CPU time rather than wall time: the bound is about our parser, not the machine's load.
    started = time.process_time()
    loaded = load_fleet(path)
    elapsed = time.process_time() - started
    assert loaded == fleet
    assert elapsed < 2.0  # ~0.7 s for YAML, ~0.03 s for JSON on the reference machine


def test_generation_is_independent_of_call_order() -> None:
    assert generate_fleet(5, gnbs=600, kiosks=200) == generate_fleet(5, gnbs=600, kiosks=200)
    small = generate_fleet(5, gnbs=600, kiosks=200)
    assert Counter(d.kind for d in small.devices)["gnb"] == 600
    assert len(small.kiosks) == 200
