"""Rollout objects: the spec an operator submits, wave planning, device statuses, inventory hosts.

Pure functions and plain data, so the orchestrator's rules (which device is in which wave,
what counts as a failure) can be read and tested without Ansible or a database.
"""

from __future__ import annotations

import enum
import fnmatch
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import msgspec
import yaml

from hub.rollouts.settings import RolloutsConfig

WaveSize = Annotated[str, msgspec.Meta(pattern=r"^([1-9][0-9]*|([1-9][0-9]?|100)%)$")]
Version = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")]


class RolloutSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What to roll out, to whom, how fast, and when to stop."""

    version: Version
    group: str = "kiosks:edge_agents"
    """Inventory groups (``:``-separated) whose hosts are the targets."""
    hosts: list[str] = []
    """Glob patterns over host names; empty: every host of ``group``."""
    waves: list[WaveSize] = msgspec.field(default_factory=lambda: ["5", "10%", "50%", "100%"])
    """Wave sizes: a device count or a percentage of all targets; the last wave takes the rest."""
    soak_s: Annotated[float, msgspec.Meta(ge=0)] = 60.0
    """Seconds a settled wave is watched before the next one starts."""
    verify_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 300.0
    """Seconds a switched device has to report the new version in its BIRTH."""
    success_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] = 95.0
    """Done / (done + failed) across the rollout needed to start the next wave."""
    max_failures: Annotated[int, msgspec.Meta(ge=0)] = 0
    """Halt and roll back when more devices than this have failed across the rollout."""
    max_failure_percent: Annotated[float, msgspec.Meta(ge=0, le=100)] = 100.0
    """... or when failed devices exceed this share of all targets."""
    ignore_window: bool = False
    """Switch outside the sites' maintenance windows (an urgent fix)."""


class State(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    HALTED = "halted"
    ABORTED = "aborted"
    COMPLETED = "completed"


ACTIVE = frozenset({State.RUNNING, State.PAUSED})


class Status(enum.StrEnum):
    """One device's place in a rollout."""

    PENDING = "pending"  # not tried yet
    DEFERRED = "deferred"  # offline, unreachable, busy or outside its window: retried, never a failure
    RUNNING = "running"  # in a wave job now
    SWITCHED = "switched"  # the device switched; waiting for its BIRTH to report the version
    VERIFYING = "verifying"  # left mid-job or unconfirmed by a hub restart: re-verify first
    DONE = "done"  # its BIRTH reported the new version
    FAILED = "failed"  # rolled itself back, refused the artifact, or never confirmed in time
    REVERTED = "reverted"  # put back by "revert wave" or an automatic halt


#: Statuses a wave job may pick up (when the device is online).
ELIGIBLE = frozenset({Status.PENDING, Status.DEFERRED})
#: Statuses that still await an outcome and keep a wave from settling.
OPEN = frozenset({Status.PENDING, Status.RUNNING, Status.SWITCHED, Status.VERIFYING})


def plan_waves(hosts: list[str], waves: list[str]) -> dict[str, int]:
    """Assign each host (in the given order) to a wave index; the last wave takes the rest."""
    total = len(hosts)
    plan: dict[str, int] = {}
    start = 0
    for index, size in enumerate(waves):
        if index == len(waves) - 1:
            count = total - start
        elif size.endswith("%"):
            # At least one device per wave, like Ansible's serial: a 10 % of 3 is still 1.
            count = max(1, math.ceil(total * float(size[:-1]) / 100))
        else:
            count = int(size)
        for host in hosts[start : start + count]:
            plan[host] = index
        start = min(total, start + count)
    return plan


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def inventory_hosts(inventory: Path, groups: str) -> list[str]:
    """Hosts of the ``:``-separated groups in a YAML inventory (children followed), naturally sorted."""
    data = yaml.safe_load(inventory.read_text()) or {}
    index: dict[str, dict[str, Any]] = {}

    def walk(name: str, node: dict[str, Any] | None) -> None:
        node = node or {}
        entry = index.setdefault(name, {"hosts": set(), "children": set()})
        entry["hosts"].update((node.get("hosts") or {}).keys())
        for child, sub in (node.get("children") or {}).items():
            entry["children"].add(child)
            walk(child, sub)

    for name, node in data.items():
        walk(name, node)

    def hosts_of(name: str, seen: set[str]) -> set[str]:
        if name in seen or name not in index:
            return set()
        seen.add(name)
        out = set(index[name]["hosts"])
        for child in index[name]["children"]:
            out |= hosts_of(child, seen)
        return out

    found: set[str] = set()
    for group in groups.split(":"):
        if group.strip():
            found |= hosts_of(group.strip(), set())
    return sorted(found, key=_natural)


def select(hosts: Iterable[str], patterns: list[str]) -> list[str]:
    """Hosts matching any glob pattern (all hosts when there are none), order kept."""
    return [h for h in hosts if not patterns or any(fnmatch.fnmatchcase(h, p) for p in patterns)]


def job_spec(
    config: RolloutsConfig, spec: RolloutSpec, hosts: list[str], playbook: str, phase: str
) -> dict[str, Any]:
    """What a wave job process gets on stdin (hub/rollouts/job.py): one playbook run over ``hosts``."""
    extravars: dict[str, Any] = {"cunlink_release_version": spec.version}
    if phase != "rollback":
        extravars["cunlink_rollout_phase"] = phase
    if config.artifact_base_url:
        extravars["cunlink_artifact_base_url"] = config.artifact_base_url
    if spec.ignore_window:
        extravars["release_ignore_window"] = True
    playbooks = config.playbooks.resolve()
    return {
        "project_dir": str(playbooks),
        "playbook": playbook,
        "limit": ",".join(hosts),
        "inventory": str(Path(str(config.inventory)).resolve()),
        "forks": config.forks,
        "extravars": extravars,
        "envvars": {"ANSIBLE_CONFIG": str(playbooks / "ansible.cfg"), **config.envvars},
        "job_timeout": config.job_timeout,
    }


class DeviceView(msgspec.Struct, kw_only=True):
    """One device in a rollout's status."""

    host: str
    wave: int
    status: str
    detail: str
    online: bool
    version: str | None
    updated: float


class RolloutView(msgspec.Struct, kw_only=True):
    """A rollout's status: the spec, where it is, counts, and (in detail) every device."""

    id: str
    spec: RolloutSpec
    state: str
    reason: str
    wave: int
    waves: int
    created: float
    created_by: str
    updated: float
    counts: dict[str, int]
    devices: list[DeviceView] = []
