"""Kiosk configs for ``cunlink demo``: one per kiosk of the demo's fleet, in its workdir.

The kiosks are the fleet's own (ids, villages, townships, county), so their BIRTHs
land at the hub as the inventory expects. Nothing here imports Qt: the demo process
only writes files and starts ``cunlink kiosk`` children. Without a display the kiosks
run offscreen with scripted villagers (``--simulate``) and no speech; with one, each
kiosk is a window a person can use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from contract.fleet import Fleet, load_fleet
from kiosk.config import KioskConfig


def has_display(environ: dict[str, str] | None = None) -> bool:
    """Whether a window can be shown ($DISPLAY or $WAYLAND_DISPLAY)."""
    env = os.environ if environ is None else environ
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def demo_kiosk(
    fleet: Fleet, index: int, data_root: Path, host: str, port: int, *, simulated: bool
) -> dict[str, Any]:
    """The config of the fleet's ``index``-th kiosk (0-based) as a YAML-ready mapping."""
    if index >= len(fleet.kiosks):
        msg = f"the fleet has {len(fleet.kiosks)} kiosks; asked for kiosk {index + 1}"
        raise ValueError(msg)
    ix = fleet.index
    kiosk = fleet.kiosks[index]
    village = ix.villages[kiosk.village]
    township = ix.townships[village.township]
    county = ix.counties[township.county]
    neighbours = [v for v in ix.villages_of_township(township.code) if v.code != village.code][:3]
    config: dict[str, Any] = {
        "kiosk": {
            "node_id": kiosk.id,
            "village": {"id": village.code, "name": village.name[:32]},
            "township": {"id": township.code, "name": township.name[:32]},
            "county": county.name[:32],
            "county_code": county.code,
            "nearby_villages": [{"id": v.code, "name": v.name[:32]} for v in neighbours],
            "data_dir": str(data_root / kiosk.id),
        },
        "mqtt": {"host": host, "port": port},
        "assist": {"staff": [{"id": "demo-helper", "code": "1234"}]},
        "ui": {"fullscreen": False},
    }
    if simulated:
        config["voice"] = {"engine": "none"}  # nobody listens to an offscreen kiosk
    KioskConfig.model_validate(config)  # fail here, not in a child's log
    return config


def write_configs(
    fleet_path: Path, directory: Path, count: int, host: str, port: int, *, simulated: bool
) -> list[Path]:
    """Write ``directory/<kiosk id>.yaml`` for the first ``count`` kiosks of the fleet."""
    directory.mkdir(parents=True, exist_ok=True)
    fleet = load_fleet(fleet_path)
    paths = []
    for index in range(count):
        config = demo_kiosk(fleet, index, directory / "data", host, port, simulated=simulated)
        path = directory / f"{config['kiosk']['node_id']}.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
