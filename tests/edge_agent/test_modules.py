"""Module files: the shipped ones load, and a broken one is rejected with file:line:key."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.configfile import ConfigError
from edge_agent.modules import MODULE_DIR, available_modules, load_module, load_modules

SHIPPED = {"system", "if_mib", "gnb_radio", "ups", "entity_sensor", "host_resources"}

MINIMAL = """\
name: demo
walk:
  - 1.3.6.1.2.1.2.2.1.8
metrics:
  - name: if_oper_status
    oid: 1.3.6.1.2.1.2.2.1.8
    type: EnumAsStateSet
    index: ifindex
    help: state
    enum: {1: up, 2: down}
"""


def test_every_shipped_module_loads() -> None:
    assert available_modules() == SHIPPED
    modules = load_modules(sorted(SHIPPED))
    assert set(modules) == SHIPPED
    if_mib = modules["if_mib"]
    names = {m.name for m in if_mib.metrics}
    assert {"if_hc_in_octets", "if_hc_out_octets", "if_oper_status", "if_speed_bytes_per_second"} <= names
    octets = next(m for m in if_mib.metrics if m.name == "if_hc_in_octets")
    assert octets.fallback_oid == "1.3.6.1.2.1.2.2.1.10"  # 32-bit ifInOctets
    assert octets.metric_def().labels == ["ifname"]
    status = next(m for m in if_mib.metrics if m.name == "if_oper_status")
    assert status.metric_def().labels == ["ifname", "if_oper_status"]
    assert modules["system"].properties["sys_name"] == "1.3.6.1.2.1.1.5"


def _module(tmp_path: Path, text: str, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_module(tmp_path: Path) -> None:
    module = load_module(_module(tmp_path, MINIMAL))
    assert [d.name for d in module.metric_defs()] == ["if_oper_status"]


@pytest.mark.parametrize(
    ("replace", "by", "line", "expected"),
    [
        ("    help: state\n", "    help: state\n    colour: red\n", 10, "metrics[0].colour: unknown key"),
        (
            "    enum: {1: up, 2: down}\n",
            "",
            5,
            "enum is required for types Bits, EnumAsInfo, EnumAsStateSet",
        ),
        (
            "  - 1.3.6.1.2.1.2.2.1.8\n",
            "  - 1.3.6.1.2.1.2.2.1.7\n",
            1,
            "1.3.6.1.2.1.2.2.1.8 is not under a walk subtree",
        ),
        ("    type: EnumAsStateSet\n", "    type: histogram\n", 7, "metrics[0].type"),
        ("    help: state\n", "    help: state\n    value_label: v\n", 5, "value_label is allowed only for"),
        (
            "    help: state\n",
            "    help: state\n    extra_labels: [nope]\n",
            1,
            "extra label nope must name a lookup",
        ),
        ("    oid: 1.3.6.1.2.1.2.2.1.8\n", "    oid: .1.3.6.1.2.1.2.2.1.8\n", 6, "metrics[0].oid"),
    ],
)
def test_broken_module_names_file_line_and_key(
    tmp_path: Path, replace: str, by: str, line: int, expected: str
) -> None:
    assert replace in MINIMAL
    path = _module(tmp_path, MINIMAL.replace(replace, by))
    with pytest.raises(ConfigError) as info:
        load_module(path)
    assert f"{path}:{line}:" in str(info.value)
    assert expected in str(info.value)


def test_module_name_must_match_its_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must equal the file name 'other'"):
        load_module(_module(tmp_path, MINIMAL, name="other"))


def test_shipped_files_live_next_to_the_loader() -> None:
    assert {p.stem for p in MODULE_DIR.glob("*.yaml")} == SHIPPED


def test_lookups_need_not_be_walked_and_are_walked_apart() -> None:
    if_mib = load_modules(["if_mib"])["if_mib"]
    assert if_mib.lookup_columns() == ["1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.2.2.1.2"]
    assert if_mib.cache.marker == "1.3.6.1.2.1.31.1.5.0"
    sensors = load_modules(["entity_sensor"])["entity_sensor"]
    value = next(m for m in sensors.metrics if m.name == "entity_sensor_value")
    assert value.metric_def().labels == ["sensor", "sensor_type"]
