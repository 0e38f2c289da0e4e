"""The ``helpcalls`` section of the hub config: where the duty roster lives and how to notify.

The roster (who is on duty when) is a separate YAML file because township offices edit it
every few weeks, like the routing rules; this section is deployment (webhook URL, secret,
timing) that Ansible templates per hub.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field, model_validator

from contract.configfile import ConfigModel, Secret


class HelpCallsConfig(ConfigModel):
    """One-key help calls: duty roster, webhook notifier, escalation."""

    roster: Path | None = Field(
        default=None,
        description="The duty roster (YAML, see docs/workorders.md), re-read when the file changes. "
        "Without one nobody is on duty: kiosks tell villagers so instead of pretending a cadre was told.",
    )
    webhook_url: AnyHttpUrl | None = Field(
        default=None,
        description="Where notices are POSTed as JSON (an SMS gateway or work-chat bot). Without it "
        "notices wait in the database, counted as errors with reason `unconfigured`.",
    )
    webhook_token: Secret | None = Field(
        default=None,
        description="Sent as `Authorization: Bearer <token>`; inline, `env:NAME` or `file:/path`.",
    )
    webhook_timeout: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Seconds one webhook POST may take before it counts as failed.",
    )
    retry_min_delay: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="First wait in seconds before re-sending a failed notice; doubles.",
    )
    retry_max_delay: float = Field(
        default=300.0, gt=0, le=86400, description="Longest wait in seconds between two tries of one notice."
    )
    escalate_after_minutes: float = Field(
        default=10.0,
        gt=0,
        le=1440,
        description="A call not acknowledged in the console within this many minutes is overdue and "
        "goes to the township's on-duty cadre as well.",
    )
    status_resend_minutes: float = Field(
        default=60.0,
        ge=0,
        le=1440,
        description="After a kiosk's BIRTH, the latest help_status of each of its open calls made "
        "within this many minutes is sent again (it may have missed it while offline).",
    )

    @model_validator(mode="after")
    def _check(self) -> HelpCallsConfig:
        if self.retry_max_delay < self.retry_min_delay:
            msg = "retry_max_delay is smaller than retry_min_delay"
            raise ValueError(msg)
        if self.webhook_token is not None and self.webhook_url is None:
            msg = "webhook_token is set but webhook_url is not"
            raise ValueError(msg)
        return self
