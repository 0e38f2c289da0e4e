"""The fleet inventory format: round trips, strictness, references and index helpers."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from contract.fleet import (
    County,
    Device,
    Fleet,
    FleetError,
    Kiosk,
    Site,
    Township,
    Village,
    dump_fleet,
    load_fleet,
)


def _fleet(**overrides: object) -> Fleet:
    base = Fleet(
        format=1,
        seed=None,
        counties=(County(code="511902", name="巴州区"),),
        townships=(Township(code="511902101", name="曾口镇", county="511902", lat=31.9, lon=106.8),),
        villages=(Village(code="511902101201", name="石门村", township="511902101", lat=31.91, lon=106.81),),
        sites=(
            Site(
                id="cell-1", kind="cell", township="511902101", village="511902101201", lat=31.91, lon=106.81
            ),
            Site(id="exch-1", kind="exchange", township="511902101", lat=31.9, lon=106.8),
        ),
        devices=(
            Device(id="gnb-1", kind="gnb", site="cell-1", address="10.20.0.1", model="m"),
            Device(id="ups-1", kind="ups", site="cell-1", address="10.30.0.1", model="u"),
            Device(
                id="olt-1-a",
                kind="olt_uplink",
                site="exch-1",
                address="10.40.0.1",
                model="o",
                backhauls="511902101",
                uplink="a",
            ),
        ),
        kiosks=(Kiosk(id="kiosk-1", village="511902101201", site="cell-1"),),
    )
    return msgspec.structs.replace(base, **overrides)


@pytest.mark.parametrize("name", ["fleet.yaml", "fleet.yml", "fleet.json"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    fleet = _fleet()
    dump_fleet(fleet, path)
    assert load_fleet(path) == fleet


def test_yaml_is_one_record_per_line_and_keeps_chinese_readable(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    dump_fleet(_fleet(), path)
    text = path.read_text("utf-8")
    assert "- {id: gnb-1, kind: gnb, site: cell-1, address: 10.20.0.1, model: m}" in text
    assert "曾口镇" in text
    # Absent optional fields are not written.
    assert "village: null" not in text


def _write(tmp_path: Path, fleet: Fleet) -> Path:
    # Bypass dump_fleet's validation to put a broken file on disk.
    path = tmp_path / "broken.json"
    path.write_bytes(msgspec.json.encode(fleet))
    return path


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"devices": (Device(id="gnb-9", kind="gnb", site="cell-404", address="10.0.0.9", model="m"),)},
            "device 'gnb-9' refers to unknown site 'cell-404'",
        ),
        (
            {"townships": (Township(code="1", name="x", county="999", lat=31.0, lon=106.0),)},
            "township '1' refers to unknown county '999'",
        ),
        (
            {"kiosks": (Kiosk(id="kiosk-9", village="404", site="cell-1"),)},
            "kiosk 'kiosk-9' refers to unknown village '404'",
        ),
        (
            {"kiosks": (Kiosk(id="kiosk-9", village="511902101201", site="nowhere"),)},
            "kiosk 'kiosk-9' refers to unknown site 'nowhere'",
        ),
        (
            {
                "devices": (
                    Device(
                        id="olt-9",
                        kind="olt_uplink",
                        site="exch-1",
                        address="10.0.0.9",
                        model="o",
                        backhauls="404",
                        uplink="b",
                    ),
                )
            },
            "device 'olt-9' refers to unknown township '404'",
        ),
        (
            {
                "devices": (
                    Device(id="olt-9", kind="olt_uplink", site="exch-1", address="10.0.0.9", model="o"),
                )
            },
            "olt_uplink 'olt-9' needs both 'backhauls' and 'uplink'",
        ),
        (
            {
                "devices": (
                    Device(id="gnb-9", kind="gnb", site="cell-1", address="10.0.0.9", model="m", uplink="a"),
                )
            },
            "device 'gnb-9' of kind gnb cannot have",
        ),
        (
            {
                "devices": (
                    Device(id="gnb-1", kind="gnb", site="cell-1", address="10.0.0.1", model="m"),
                    Device(id="gnb-1", kind="gnb", site="cell-1", address="10.0.0.2", model="m"),
                )
            },
            "duplicate device 'gnb-1'",
        ),
        ({"format": 2}, "format 2 is not supported"),
    ],
)
def test_inconsistent_fleets_are_rejected_naming_file_and_id(
    tmp_path: Path, overrides: dict[str, object], expected: str
) -> None:
    path = _write(tmp_path, _fleet(**overrides))
    with pytest.raises(FleetError) as info:
        load_fleet(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_dump_refuses_an_inconsistent_fleet(tmp_path: Path) -> None:
    bad = _fleet(kiosks=(Kiosk(id="k", village="404", site="cell-1"),))
    with pytest.raises(FleetError, match="unknown village '404'"):
        dump_fleet(bad, tmp_path / "fleet.yaml")
    assert not (tmp_path / "fleet.yaml").exists()


def test_unknown_fields_and_wrong_types_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    dump_fleet(_fleet(), path)
    text = path.read_text("utf-8")
    path.write_text(text.replace("model: m}", "model: m, colour: red}"), "utf-8")
    with pytest.raises(
        FleetError, match=r"fleet.yaml: Object contains unknown field `colour` - at `\$.devices\[0\]`"
    ):
        load_fleet(path)
    path.write_text(text.replace("kind: gnb", "kind: router"), "utf-8")
    with pytest.raises(FleetError, match=r"devices\[0\]\.kind"):
        load_fleet(path)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("fleet.txt", "", "unknown fleet file extension '.txt'"),
        ("fleet.yaml", "devices: [", "not valid YAML"),
        ("fleet.yaml", "- 1\n- 2\n", "expected a mapping"),
        ("fleet.json", "{", "not valid JSON"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(FleetError, match=expected):
        load_fleet(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match="cannot read fleet file"):
        load_fleet(tmp_path / "nope.yaml")


def test_index_helpers() -> None:
    fleet = _fleet()
    ix = fleet.index
    assert fleet.index is ix  # built once
    assert ix.device("gnb-1").site == "cell-1"
    assert [d.id for d in ix.devices_at_site("cell-1")] == ["gnb-1", "ups-1"]
    assert ix.devices_at_site("nowhere") == ()
    assert ix.township_of("gnb-1").name == "曾口镇"
    assert ix.county_of("olt-1-a").name == "巴州区"
    village = ix.village_of("gnb-1")
    assert village is not None
    assert village.name == "石门村"
    assert ix.village_of("olt-1-a") is None
    ups = ix.ups_of_site("cell-1")
    assert ups is not None
    assert ups.id == "ups-1"
    assert ix.ups_of_site("exch-1") is None
    assert [d.id for d in ix.uplinks_of_township("511902101")] == ["olt-1-a"]
    assert [t.code for t in ix.townships_of_county("511902")] == ["511902101"]
    assert [v.code for v in ix.villages_of_township("511902101")] == ["511902101201"]
    assert ix.labels("olt-1-a") == {"county": "巴州区", "township": "曾口镇", "village": "", "site": "exch-1"}
    with pytest.raises(KeyError):
        ix.device("nope")


def test_structs_are_frozen() -> None:
    fleet = _fleet()
    with pytest.raises(AttributeError):
        fleet.devices[0].id = "x"  # type: ignore[misc]


HAND_WRITTEN = """\
format: 1
counties:
  - code: 511902          # unquoted codes are fine
    name: 巴州区
townships:
  - {code: 511902101, name: 曾口镇, county: 511902, lat: 31.9, lon: 106.8}
villages: []
sites:
  - {id: exch-1, kind: exchange, township: 511902101, village: ~, lat: 31.9, lon: 106.8}
devices:
  - id: olt-1-a
    kind: olt_uplink
    site: exch-1
    address: 10.40.0.1
    model: MA5800-X7
    backhauls: 511902101
    uplink: a
"""


def test_hand_written_yaml(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yml"
    path.write_text(HAND_WRITTEN, "utf-8")
    fleet = load_fleet(path)
    assert fleet.seed is None
    assert fleet.counties[0].code == "511902"
    assert fleet.townships[0].lat == 31.9
    assert fleet.sites[0].village is None
    assert fleet.index.uplinks_of_township("511902101")[0].id == "olt-1-a"
    path.write_text(
        HAND_WRITTEN.replace("lat: 31.9, lon: 106.8}\nvillages", "lat: north, lon: 106.8}\nvillages")
    )
    with pytest.raises(FleetError, match=r"Expected `float`, got `str` - at `\$.townships\[0\].lat`"):
        load_fleet(path)
