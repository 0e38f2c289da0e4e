#!/usr/bin/env python3
"""Write an Ansible YAML inventory from the fleet file (contract/fleet.py).

Groups::

    kiosks, edge_agents              one per kind of managed node (depth 1, priority 1)
    hub, broker, monitoring          the central hosts named with --hub/--broker/--monitoring
    county_<code>                    depth 1, priority 2: beats the kind groups
      township_<code>                depth 2
        site_<id>                    depth 3: holds the hosts

Ansible merges group variables by depth, then ``ansible_group_priority``, so variables set
with ``--overlay`` layer as role defaults -> all -> kind -> county -> township -> site -> host.
The overlay is YAML with the optional sections ``all``, ``kinds`` (by group name),
``counties``, ``townships``, ``sites`` (by fleet id) and ``hosts`` (by node id); an id that is
not in the fleet is an error, so a typo cannot silently drop a maintenance window.

Managed nodes: each kiosk of the fleet (its id is its MQTT node id), and one edge agent per
township exchange site (``edge-<site id>``), which polls every device in its township. Host
variables carry what the roles need from the fleet: ``cunlink_node_id``, ``cunlink_labels``,
and for agents ``cunlink_targets``.

``--local-root DIR`` makes every host an ``ansible_connection=local`` host with its own
install root ``DIR/<host>`` (``cunlink_install_root``): the simulated fleet of the tests and
benchmarks.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from contract.fleet import Fleet, FleetError, load_fleet

KIND_GROUPS = ("kiosks", "edge_agents")
CENTRAL_GROUPS = ("hub", "broker", "monitoring")
OVERLAY_SECTIONS = ("all", "kinds", "counties", "townships", "sites", "hosts")
#: Priority of county groups: above the kind groups, which sit at the same depth.
COUNTY_PRIORITY = 2


class InventoryError(Exception):
    """The overlay does not fit the fleet, or an option is wrong."""


def group_name(prefix: str, ident: str) -> str:
    """An Ansible-safe group name: letters, digits and underscores only."""
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', ident)}"


def agent_id(site_id: str) -> str:
    return f"edge-{site_id}"


def _node_hosts(fleet: Fleet) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """node id -> (kind group, site id, host variables) for every managed node."""
    index = fleet.index
    nodes: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for kiosk in fleet.kiosks:
        site = index.site(kiosk.site)
        township = index.townships[site.township]
        village = index.villages[kiosk.village]
        labels = {
            "county": index.counties[township.county].name,
            "township": township.name,
            "village": village.name,
            "site": site.id,
        }
        nodes[kiosk.id] = (
            "kiosks",
            site.id,
            {"cunlink_node_id": kiosk.id, "cunlink_village": village.code, "cunlink_labels": labels},
        )
    by_township: dict[str, list[str]] = {}
    for device in fleet.devices:
        by_township.setdefault(index.site(device.site).township, []).append(device.id)
    for site in fleet.sites:
        if site.kind != "exchange":
            continue
        township = index.townships[site.township]
        labels = {
            "county": index.counties[township.county].name,
            "township": township.name,
            "site": site.id,
        }
        targets = [
            {
                "device": device_id,
                "kind": index.device(device_id).kind,
                "address": index.device(device_id).address,
                # The edge config rejects nothing here, but an empty label is noise in Prometheus.
                "labels": {k: v for k, v in index.labels(device_id).items() if v},
            }
            for device_id in by_township.get(site.township, [])
        ]
        node = agent_id(site.id)
        nodes[node] = (
            "edge_agents",
            site.id,
            {"cunlink_node_id": node, "cunlink_labels": labels, "cunlink_targets": targets},
        )
    return nodes


def _check_overlay(overlay: dict[str, Any], fleet: Fleet, nodes: dict[str, Any], central: set[str]) -> None:
    unknown = sorted(set(overlay) - set(OVERLAY_SECTIONS))
    if unknown:
        msg = f"overlay: unknown sections {', '.join(unknown)} (known: {', '.join(OVERLAY_SECTIONS)})"
        raise InventoryError(msg)
    index = fleet.index
    known = {
        "kinds": set(KIND_GROUPS) | set(CENTRAL_GROUPS),
        "counties": set(index.counties),
        "townships": set(index.townships),
        "sites": set(index.sites),
        "hosts": set(nodes) | central,
    }
    for section, ids in known.items():
        entries = overlay.get(section) or {}
        if not isinstance(entries, dict):
            msg = f"overlay: {section} must be a mapping of id -> variables"
            raise InventoryError(msg)
        for ident, values in entries.items():
            if str(ident) not in ids:
                msg = f"overlay: {section}: {ident!r} is not in the fleet"
                raise InventoryError(msg)
            if not isinstance(values, dict):
                msg = f"overlay: {section}: {ident}: variables must be a mapping"
                raise InventoryError(msg)
    if not isinstance(overlay.get("all") or {}, dict):
        msg = "overlay: all must be a mapping of variables"
        raise InventoryError(msg)


def build_inventory(
    fleet: Fleet,
    *,
    overlay: dict[str, Any] | None = None,
    hub: Sequence[str] = (),
    broker: Sequence[str] = (),
    monitoring: Sequence[str] = (),
    host_template: str | None = None,
    local_root: Path | None = None,
    python: str | None = None,
) -> dict[str, Any]:
    """The inventory as a plain dict in Ansible's YAML inventory shape."""
    overlay = overlay or {}
    nodes = _node_hosts(fleet)
    central = set(hub) | set(broker) | set(monitoring)
    clash = sorted(central & set(nodes))
    if clash:
        msg = f"central host names {', '.join(clash)} are also fleet node ids"
        raise InventoryError(msg)
    _check_overlay(overlay, fleet, nodes, central)
    index = fleet.index

    def host_vars(name: str, extra: dict[str, Any], node: bool = True) -> dict[str, Any]:
        values = dict(extra)
        if local_root is not None:
            values.update(
                ansible_connection="local",
                cunlink_install_root=str(local_root / name),
                ansible_python_interpreter=python or sys.executable,
            )
        elif host_template and node:
            # Central hosts are named by the operator; only fleet nodes get the template.
            values["ansible_host"] = host_template.format(id=name)
        values.update((overlay.get("hosts") or {}).get(name, {}))
        return values

    def with_vars(group: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        if values:
            group["vars"] = dict(values)
        return group

    children: dict[str, Any] = {}
    kinds = overlay.get("kinds") or {}
    for kind in KIND_GROUPS:
        # Host variables live in the site groups; the kind groups only list the hosts.
        members: dict[str, None] = {n: None for n, (k, _, _) in sorted(nodes.items()) if k == kind}
        children[kind] = with_vars({"hosts": members}, kinds.get(kind, {}))
    for group, names in (("hub", hub), ("broker", broker), ("monitoring", monitoring)):
        central_hosts = {name: host_vars(name, {}, node=False) for name in names}
        children[group] = with_vars({"hosts": central_hosts}, kinds.get(group, {}))

    # The place tree: only branches that hold a managed node.
    sites_of: dict[str, dict[str, Any]] = {}
    for node, (_, site_id, extra) in sorted(nodes.items()):
        sites_of.setdefault(site_id, {})[node] = host_vars(node, extra)
    tree: dict[str, dict[str, dict[str, Any]]] = {}
    for site_id in sorted(sites_of):
        site = index.site(site_id)
        county = index.townships[site.township].county
        tree.setdefault(county, {}).setdefault(site.township, {})[site_id] = sites_of[site_id]
    for county_code, townships in tree.items():
        county_group: dict[str, Any] = {
            "vars": {
                "ansible_group_priority": COUNTY_PRIORITY,
                "cunlink_county": county_code,
                **(overlay.get("counties") or {}).get(county_code, {}),
            },
            "children": {},
        }
        for township_code, sites in townships.items():
            township_group: dict[str, Any] = {
                "vars": {
                    "cunlink_township": township_code,
                    **(overlay.get("townships") or {}).get(township_code, {}),
                },
                "children": {},
            }
            for site_id, hosts in sites.items():
                site_group = {
                    "vars": {"cunlink_site": site_id, **(overlay.get("sites") or {}).get(site_id, {})},
                    "hosts": hosts,
                }
                township_group["children"][group_name("site", site_id)] = site_group
            county_group["children"][group_name("township", township_code)] = township_group
        children[group_name("county", county_code)] = county_group
    return {"all": with_vars({"children": children}, overlay.get("all") or {})}


def read_overlay(path: Path | None) -> dict[str, Any]:
    """The overlay file as a mapping (empty when there is none)."""
    if path is None:
        return {}
    overlay = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(overlay, dict):
        msg = f"{path}: expected a mapping at the top level"
        raise InventoryError(msg)
    return overlay


def render(inventory: dict[str, Any], source: str) -> str:
    header = (
        f"# Generated by playbooks/inventory_from_fleet.py from {source}; do not edit by hand.\n"
        "# Layering: role defaults -> all -> kiosks/edge_agents -> county -> township -> site -> host.\n"
    )
    body: str = yaml.safe_dump(
        inventory, allow_unicode=True, sort_keys=False, default_flow_style=False, width=120
    )
    return header + body


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="inventory_from_fleet.py", description="Generate the Ansible inventory from the fleet file."
    )
    parser.add_argument("fleet", type=Path, help="fleet file (.yaml/.yml/.json, contract/fleet.py)")
    parser.add_argument("--out", type=Path, help="write here (default: stdout)")
    parser.add_argument("--overlay", type=Path, help="layered variables (see the module docstring)")
    parser.add_argument("--hub", action="append", default=[], help="hub host (repeatable)")
    parser.add_argument("--broker", action="append", default=[], help="Mosquitto host (repeatable)")
    parser.add_argument("--monitoring", action="append", default=[], help="Prometheus/Grafana host")
    parser.add_argument("--host-template", help="ansible_host for nodes, e.g. '{id}.cl.lan'")
    parser.add_argument("--local-root", type=Path, help="simulate: local connection, install roots here")
    parser.add_argument("--python", help="interpreter for local hosts (default: this one)")
    args = parser.parse_args(argv)
    try:
        fleet = load_fleet(args.fleet)
        overlay = read_overlay(args.overlay)
        inventory = build_inventory(
            fleet,
            overlay=overlay,
            hub=args.hub,
            broker=args.broker,
            monitoring=args.monitoring,
            host_template=args.host_template,
            local_root=args.local_root.absolute() if args.local_root else None,
            python=args.python,
        )
    except (FleetError, InventoryError, OSError, yaml.YAMLError) as exc:
        sys.stderr.write(f"inventory_from_fleet: {exc}\n")
        return 2
    text = render(inventory, args.fleet.name)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(f".{args.out.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
