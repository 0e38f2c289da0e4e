"""playbooks/inventory_from_fleet.py: groups from the fleet file, variables layered by place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.fleet import load_fleet
from tests.playbooks.helpers import PLAYBOOKS, load_module

EXAMPLE = PLAYBOOKS / "inventories" / "example"
GENERATOR = PLAYBOOKS / "inventory_from_fleet.py"
inventory_from_fleet = load_module(GENERATOR, "inventory_from_fleet")


_MERGE = """
import json, sys
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.vars.manager import VariableManager
loader = DataLoader()
inventory = InventoryManager(loader=loader, sources=[sys.argv[1]])
manager = VariableManager(loader=loader, inventory=inventory)
out = {h: manager.get_vars(host=inventory.get_host(h), include_hostvars=False) for h in sys.argv[2:]}
print(json.dumps(out, default=str))
"""


def merged_vars(inventory_file: Path, *hosts: str) -> dict[str, dict[str, Any]]:
    """Variables of ``hosts`` as Ansible merges them (inventory only, no role defaults).

    In a child process: Ansible keeps global state that must not leak into the test run.
    """
    done = subprocess.run(
        [sys.executable, "-c", _MERGE, str(inventory_file), *hosts],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return result


def test_groups_follow_the_fleet() -> None:
    fleet = load_fleet(EXAMPLE / "fleet.yaml")
    inv = inventory_from_fleet.build_inventory(
        fleet, hub=["central"], broker=["central"], monitoring=["central"]
    )
    children = inv["all"]["children"]
    assert sorted(children["kiosks"]["hosts"]) == ["kiosk-0001", "kiosk-0002"]
    assert sorted(children["edge_agents"]["hosts"]) == ["edge-exch-001"]
    assert list(children["hub"]["hosts"]) == ["central"]
    county = children["county_511902"]
    assert county["vars"]["ansible_group_priority"] == 2
    township = county["children"]["township_511902101"]
    agent = township["children"]["site_exch_001"]["hosts"]["edge-exch-001"]
    assert agent["cunlink_node_id"] == "edge-exch-001"
    # The agent of a township polls every device in it, with the fleet's place labels.
    assert {t["device"] for t in agent["cunlink_targets"]} == {"gnb-0001", "olt-0001a"}
    gnb = next(t for t in agent["cunlink_targets"] if t["device"] == "gnb-0001")
    assert gnb == {
        "device": "gnb-0001",
        "kind": "gnb",
        "address": "10.1.0.1",
        "labels": {"county": "巴州区", "township": "曾口镇", "village": "石门村", "site": "cell-0001"},
    }
    kiosk = township["children"]["site_svc_0001"]["hosts"]["kiosk-0001"]
    assert kiosk["cunlink_labels"]["village"] == "石门村"


def test_variables_layer_all_kind_county_township_site_host(tmp_path: Path) -> None:
    overlay = {
        "all": {"layer_a": "all", "layer_b": "all", "layer_c": "all"},
        "kinds": {"kiosks": {"layer_a": "kind", "layer_b": "kind", "layer_c": "kind"}},
        "counties": {"511902": {"layer_a": "county", "layer_b": "county", "layer_c": "county"}},
        "townships": {"511902101": {"layer_b": "township"}, "511902102": {"layer_a": "township"}},
        "sites": {"svc-0002": {"layer_a": "site"}},
        "hosts": {"kiosk-0002": {"layer_c": "host"}},
    }
    (tmp_path / "overlay.yml").write_text(yaml.safe_dump(overlay))
    out = tmp_path / "hosts.yml"
    done = subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            str(EXAMPLE / "fleet.yaml"),
            "--overlay",
            str(tmp_path / "overlay.yml"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    merged = merged_vars(out, "kiosk-0001", "kiosk-0002", "edge-exch-001")
    one, two, agent = merged["kiosk-0001"], merged["kiosk-0002"], merged["edge-exch-001"]
    # A county beats its kind group (same depth, higher priority), a township its county, ...
    assert (one["layer_a"], one["layer_b"], one["layer_c"]) == ("county", "township", "county")
    assert (two["layer_a"], two["layer_b"], two["layer_c"]) == ("site", "county", "host")
    assert (agent["layer_a"], agent["layer_b"]) == ("county", "township")
    assert one["cunlink_site"] == "svc-0001"
    assert two["cunlink_township"] == "511902102"


@pytest.mark.parametrize(
    ("overlay", "message"),
    [
        ({"counties": {"999999": {"x": 1}}}, "counties: '999999' is not in the fleet"),
        ({"sites": {"svc-9999": {"x": 1}}}, "sites: 'svc-9999' is not in the fleet"),
        ({"regions": {}}, "unknown sections regions"),
    ],
)
def test_overlay_typos_are_errors(overlay: dict[str, Any], message: str) -> None:
    fleet = load_fleet(EXAMPLE / "fleet.yaml")
    with pytest.raises(inventory_from_fleet.InventoryError, match=message):
        inventory_from_fleet.build_inventory(fleet, overlay=overlay)


def test_local_simulation_gives_each_host_its_own_root(tmp_path: Path) -> None:
    fleet = load_fleet(EXAMPLE / "fleet.yaml")
    inv = inventory_from_fleet.build_inventory(
        fleet, hub=["central"], local_root=tmp_path, python="/usr/bin/python3"
    )
    central = inv["all"]["children"]["hub"]["hosts"]["central"]
    assert central == {
        "ansible_connection": "local",
        "cunlink_install_root": str(tmp_path / "central"),
        "ansible_python_interpreter": "/usr/bin/python3",
    }


def test_committed_example_inventory_is_up_to_date(tmp_path: Path) -> None:
    """hosts.yml is generated: regenerate it and compare (as snmp_exporter's CI does)."""
    out = tmp_path / "hosts.yml"
    hub = "hub.bazhong.cunlink.lan"
    done = subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            str(EXAMPLE / "fleet.yaml"),
            "--overlay",
            str(EXAMPLE / "overlay.yml"),
            *("--hub", hub, "--broker", hub, "--monitoring", hub),
            "--host-template",
            "{id}.bazhong.cunlink.lan",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text() == (EXAMPLE / "hosts.yml").read_text(), (
        "regenerate playbooks/inventories/example/hosts.yml (command in docs/rollout.md)"
    )
