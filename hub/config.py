"""The hub's config file: one pydantic model per section, loaded through the contract's loader.

Every field has a default, so the hub runs without a file (``cunlink hub`` alone talks to a
broker on localhost). Command-line overrides are applied by re-validating, so a bad
``--mqtt-port`` fails exactly like a bad ``mqtt.port`` in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import Field, model_validator

from contract.configfile import ConfigError, ConfigModel, Secret, dump_masked, load_config
from hub.helpcalls.roster import load_roster
from hub.helpcalls.settings import HelpCallsConfig
from hub.rollouts.settings import RolloutsConfig
from hub.workorders.settings import WorkOrdersConfig

Port = Annotated[int, Field(ge=1, le=65535)]
#: MQTT client ids go into broker logs and ACL patterns (%c), so keep them to a safe alphabet.
ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class MqttConfig(ConfigModel):
    """Connection to the broker and the session rules that depend on it."""

    host: str = Field(default="127.0.0.1", min_length=1, description="Broker host name or address.")
    port: Port = Field(default=1883, description="Broker TCP port (plain MQTT).")
    username: str | None = Field(default=None, description="Broker user name; omit for anonymous access.")
    password: Secret | None = Field(
        default=None, description="Broker password; inline, `env:NAME` or `file:/path`. Needs `username`."
    )
    client_id: ClientId | None = Field(
        default=None,
        description="MQTT client id; defaults to `cunlink-hub` or `cunlink-hub-<hub_id>`. "
        "Two hubs with one id knock each other off the broker.",
    )
    keepalive: int = Field(
        default=30,
        ge=5,
        le=3600,
        description="MQTT keepalive in seconds; the broker fires the Will after 1.5x.",
    )
    reconnect_min_delay: int = Field(
        default=1, ge=1, le=300, description="First wait in seconds before reconnecting; doubles per failure."
    )
    reconnect_max_delay: int = Field(
        default=30, ge=1, le=3600, description="Longest wait in seconds between reconnects."
    )
    rebirth_min_interval: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="Least seconds between two rebirth commands to one node, so a broken node "
        "cannot make the hub flood it.",
    )
    queue_limit: int = Field(
        default=100_000,
        ge=100,
        le=10_000_000,
        description="Most received messages waiting for the ingest loop; beyond it messages are "
        "dropped and counted (reason `overflow`).",
    )
    reorder_timeout: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="Seconds to wait for the missing messages of a seq gap (they may only be late) "
        "before counting them lost and asking the node to rebirth (Sparkplug's Reorder Timeout).",
    )
    restore_grace: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="After a restart, seconds a node that was online may take to re-birth before it "
        "counts as offline; until then it is `unknown`, not down.",
    )
    silent_after: float = Field(
        default=120.0,
        ge=1,
        le=86400,
        description="Seconds without any message while connected after which cl_hub_mqtt_silent is 1.",
    )

    @model_validator(mode="after")
    def _check(self) -> MqttConfig:
        if self.password is not None and self.username is None:
            msg = "password is set but username is not"
            raise ValueError(msg)
        if self.reconnect_max_delay < self.reconnect_min_delay:
            msg = "reconnect_max_delay is smaller than reconnect_min_delay"
            raise ValueError(msg)
        return self


class HttpConfig(ConfigModel):
    """The HTTP server for /metrics, /healthz and the index page."""

    host: str = Field(
        default="127.0.0.1", min_length=1, description="Address to listen on; `0.0.0.0` for all."
    )
    port: Port = Field(default=8780, description="TCP port to listen on.")
    health_grace: float = Field(
        default=60.0,
        ge=0,
        le=86400,
        description="Seconds MQTT may stay disconnected before /healthz answers 503; covers "
        "broker restarts without flapping the health check.",
    )


class MetricsConfig(ConfigModel):
    """Guards on what /metrics exposes."""

    max_series: int = Field(
        default=200_000,
        ge=1,
        le=5_000_000,
        description="Most device and node sample series kept; new series beyond it are dropped "
        'and counted in cl_hub_series_dropped_total{reason="limit"}. Keep it below the '
        "scrape's sample_limit.",
    )


class ApiToken(ConfigModel):
    """One bearer token of the REST API."""

    name: ClientId = Field(
        description="Who holds the token (shown in logs and 403 messages, never the token)."
    )
    token: Secret = Field(
        description="The token; inline, `env:NAME` or `file:/path`. Use 32+ random characters."
    )
    role: Literal["read", "admin"] = Field(
        default="read", description="`read`: GET endpoints; `admin`: every endpoint."
    )


class ApiConfig(ConfigModel):
    """The REST API under /api/ (OpenAPI document at /api/openapi.json)."""

    tokens: list[ApiToken] = Field(
        default_factory=list,
        description="Bearer tokens. With none, only public endpoints answer; the rest say 401.",
    )

    @model_validator(mode="after")
    def _unique(self) -> ApiConfig:
        names = [t.name for t in self.tokens]
        if len(names) != len(set(names)):
            msg = "token names must be unique"
            raise ValueError(msg)
        return self


class HubConfig(ConfigModel):
    """The whole hub config file."""

    hub_id: ClientId | None = Field(
        default=None,
        description="Name of this hub when a region runs several; used in the client id and /healthz.",
    )
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="Broker connection.")
    http: HttpConfig = Field(default_factory=HttpConfig, description="HTTP server.")
    metrics: MetricsConfig = Field(default_factory=MetricsConfig, description="Exposition guards.")
    api: ApiConfig = Field(default_factory=ApiConfig, description="REST API tokens.")
    workorders: WorkOrdersConfig = Field(
        default_factory=WorkOrdersConfig,
        description="Work orders, ratings, surveys, kiosk content, the handler console and Open311.",
    )
    helpcalls: HelpCallsConfig = Field(
        default_factory=HelpCallsConfig,
        description="One-key help calls: the duty roster, the webhook that notifies cadres, escalation "
        "(needs `workorders.enabled`).",
    )
    rollouts: RolloutsConfig = Field(
        default_factory=RolloutsConfig, description="Software rollouts with Ansible (off by default)."
    )
    fleet: Path | None = Field(
        default=None,
        description="The fleet inventory file (`cunlink fleet generate` writes one): areas, sites, "
        "devices and kiosks, for coverage, routing and maps. Without it the hub knows only what BIRTHs say.",
    )
    data_dir: Path = Field(
        default=Path("hub-data"),
        description="Where the hub keeps its SQLite databases (and their pre-migration backups).",
    )

    @property
    def client_id(self) -> str:
        """The MQTT client id in effect."""
        if self.mqtt.client_id is not None:
            return self.mqtt.client_id
        return "cunlink-hub" if self.hub_id is None else f"cunlink-hub-{self.hub_id}"


#: Command-line override name -> (section, key).
OVERRIDES: dict[str, tuple[str, str]] = {
    "mqtt_host": ("mqtt", "host"),
    "mqtt_port": ("mqtt", "port"),
    "http_host": ("http", "host"),
    "http_port": ("http", "port"),
    "fleet": ("", "fleet"),
    "data_dir": ("", "data_dir"),
}


def load(path: str | Path | None, overrides: dict[str, Any] | None = None) -> HubConfig:
    """The config from ``path`` (defaults when None) with command-line ``overrides`` applied.

    ``overrides`` maps names of :data:`OVERRIDES` to values; None values are ignored.
    Raises :class:`ConfigError` for the file and for bad overrides alike.
    """
    config = HubConfig() if path is None else load_config(path, HubConfig)
    # A broken duty roster must stop the hub here, with its file:line, not as a traceback later.
    load_roster(config.helpcalls.roster)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if not given:
        return config
    # model_dump keeps SecretStr objects, which validate again unchanged.
    data = config.model_dump()
    for name, value in given.items():
        section, key = OVERRIDES[name]
        (data[section] if section else data)[key] = value
    try:
        return HubConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        flags = {f"{s}.{k}" if s else k: f"--{n.replace('_', '-')}" for n, (s, k) in OVERRIDES.items()}
        lines = []
        for err in exc.errors():
            dotted = ".".join(str(k) for k in err["loc"])
            lines.append(f"command line: {flags.get(dotted, dotted)}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None


def validate_config_file(path: str | Path) -> str:
    """Validate a hub config file and return it as YAML with secrets masked.

    Used by ``cunlink validate-config`` (and so by Ansible's ``template: validate:``);
    raises :class:`ConfigError` naming file:line: key on failure, also for the duty roster
    file that ``helpcalls.roster`` names.
    """
    config = load_config(path, HubConfig)
    # The roster is its own file but part of this config: its mistakes are reported with its
    # own file:line, before the hub would refuse to start on them.
    load_roster(config.helpcalls.roster)
    return dump_masked(config)
