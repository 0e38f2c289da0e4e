"""Write an edge-agent config (``--agent-config``) for the devices a simulator serves.

The format is the edge agent's (``edge_agent`` reads it); this module only
fills it in. v2c targets address a device by the ``context`` field, which the
agent turns into the community ``<community>@<context>``; v3 targets use it as
the contextName.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from simulator.registry import KIND_MODULES, DeviceSet
from simulator.v3_agent import V3User


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """The agent-side fields the simulator cannot know: node id, broker and poll interval."""

    node_id: str = "edge-sim-1"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    interval: int = 15
    auth: str = "v2c"  # v2c | v3: which agent port the targets use


def build_agent_config(
    devices: DeviceSet,
    settings: AgentSettings,
    *,
    host: str,
    v2c_port: int | None,
    v3_port: int | None = None,
    v3_user: V3User | None = None,
    device_ports: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The config as plain data; ``device_ports`` overrides the port per device (``--port-per-device``)."""
    auths: dict[str, dict[str, Any]] = {"sim_v2c": {"version": "2c", "community": devices.community}}
    use_v3 = settings.auth == "v3"
    if use_v3:
        if v3_port is None or v3_user is None:
            msg = "a v3 agent config needs the simulator's v3 port (--v3-port)"
            raise ValueError(msg)
        # Field names as in snmp_exporter's auths, which the edge agent follows.
        auths["sim_v3"] = {
            "version": "3",
            "username": v3_user.name,
            "security_level": "authPriv",
            "auth_protocol": v3_user.auth,
            "password": v3_user.auth_key,
            "priv_protocol": "AES",
            "priv_password": v3_user.priv_key,
        }
    targets = []
    for dev in devices.devices:
        port = v3_port if use_v3 else (device_ports or {}).get(dev.id, v2c_port)
        targets.append(
            {
                "device": dev.id,
                "kind": dev.kind,
                "address": host,
                "port": port,
                "auth": "sim_v3" if use_v3 else "sim_v2c",
                "context": dev.id,
                "modules": list(KIND_MODULES[dev.kind]),
                "labels": dict(dev.labels),
            }
        )
    return {
        "agent": {"node_id": settings.node_id},
        "mqtt": {"host": settings.mqtt_host, "port": settings.mqtt_port},
        "poll": {"interval": settings.interval},
        "auths": auths,
        "targets": targets,
    }


def dump_agent_config(config: dict[str, Any], path: str | Path) -> None:
    """Write as YAML: block style, leaf mappings and lists inline as in the agent's examples."""
    text = yaml.dump(
        config,
        Dumper=yaml.CSafeDumper,
        default_flow_style=None,
        allow_unicode=True,
        sort_keys=False,
        width=200,
    )
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(
        "# Written by `cunlink sim --agent-config`; regenerate rather than edit.\n" + text, "utf-8"
    )
    tmp.replace(p)
