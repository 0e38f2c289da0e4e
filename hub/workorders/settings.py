"""The ``workorders`` section of the hub config: where the rules live, Open311 keys, console cookies.

Kept apart from the rules file on purpose: the rules (categories, routing, deadlines) are
policy that a city edits and reviews like a document, while this section is deployment
(secrets, cookie flags) that Ansible templates per hub.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from contract.configfile import ConfigModel, Secret

KeyName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class Open311Key(ConfigModel):
    """One api_key allowed to file service requests through Open311."""

    name: KeyName = Field(description="Who holds the key (an outside system); recorded as the filer.")
    key: Secret = Field(
        description="The api_key value; inline, `env:NAME` or `file:/path`. 32+ random chars."
    )


class WorkOrdersConfig(ConfigModel):
    """Work orders, ratings, surveys, content, the handler console and Open311."""

    enabled: bool = Field(default=True, description="Run the work-order service at all.")
    rules: Path | None = Field(
        default=None,
        description="Routing, categories and deadlines (YAML); default: the packaged "
        "hub/workorders/rules.yaml.",
    )
    jurisdiction_id: str = Field(
        default="bazhong",
        min_length=1,
        max_length=64,
        description="Open311 jurisdiction_id; requests naming another one get 404.",
    )
    open311_keys: list[Open311Key] = Field(
        default_factory=list, description="api_keys that may POST requests through Open311."
    )
    public_descriptions: bool = Field(
        default=False,
        description="Show villagers' own words in Open311 GET answers without an api_key. Off: "
        "appeals often name people, so only key holders see descriptions.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=168, description="How long a handler stays signed in to the console."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark console cookies Secure (set it when the hub is served over HTTPS, "
        "e.g. behind a TLS proxy).",
    )
    repush_hours: float = Field(
        default=24.0,
        ge=0,
        le=720,
        description="After a kiosk's BIRTH, status pushes sent to it within this many hours are "
        "sent again (a push can be lost while the broker has not yet noticed the kiosk went away).",
    )

    @model_validator(mode="after")
    def _unique_keys(self) -> WorkOrdersConfig:
        names = [k.name for k in self.open311_keys]
        if len(names) != len(set(names)):
            msg = "open311_keys names must be unique"
            raise ValueError(msg)
        return self

    def rules_path(self) -> Path:
        """The rules file in effect."""
        return self.rules if self.rules is not None else Path(__file__).with_name("rules.yaml")
