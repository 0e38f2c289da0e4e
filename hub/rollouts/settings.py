"""The ``rollouts`` section of the hub config: where the playbooks, inventory and artifacts live.

Deployment facts only (paths, the URL devices fetch from, Ansible knobs). What to roll out,
to whom and how fast is a rollout object created over the API, not config.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from contract.configfile import ConfigModel


class RolloutsConfig(ConfigModel):
    """Software rollouts driven by Ansible (hub/rollouts/, docs/rollout.md "Orchestrator")."""

    enabled: bool = Field(default=False, description="Run the rollout orchestrator at all.")
    inventory: Path | None = Field(
        default=None,
        description="Ansible inventory of the fleet (playbooks/inventory_from_fleet.py writes one).",
    )
    playbooks: Path = Field(
        default=Path("playbooks"),
        description="The project's playbooks/ directory (rollout.yml, rollback.yml).",
    )
    artifacts_dir: Path | None = Field(
        default=None,
        description="Signed artifacts served at /artifacts/ (default: <data_dir>/artifacts).",
    )
    artifact_base_url: str = Field(
        default="",
        description="URL devices fetch artifacts from, e.g. http://hub.lan:8080/artifacts "
        "(empty: whatever the inventory says).",
    )
    forks: int = Field(default=20, ge=1, le=500, description="Ansible forks per wave job.")
    job_timeout: float = Field(default=3600, gt=0, description="Seconds one wave job may run.")
    envvars: dict[str, str] = Field(
        default_factory=dict, description="Extra environment of the ansible-runner jobs."
    )
