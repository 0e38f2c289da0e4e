"""The edge agent's config file: one pydantic model per section, loaded with line-numbered errors.

Cross-references (a target's ``auth`` must name an entry of ``auths``; device ids
must be unique) are checked per target, so the error points at the target's own
line rather than at the top of the file.
"""

from __future__ import annotations

import contextvars
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, FilePath, SecretStr, field_validator, model_validator

from contract.configfile import ConfigModel, Secret, dump_masked, load_config
from contract.errors import TopicError
from contract.topics import check_id
from edge_agent.modules import available_modules

LABEL_KEY_PATTERN = r"^[a-z_][a-z0-9_]{0,31}$"


def _check_id(value: str) -> str:
    # check_id raises TopicError (not a ValueError); pydantic only turns ValueErrors into messages.
    try:
        return check_id(value, "node or device")
    except TopicError as exc:
        raise ValueError(str(exc)) from None


Id = Annotated[str, AfterValidator(_check_id)]
LabelKey = Annotated[str, Field(pattern=LABEL_KEY_PATTERN)]
LabelValue = Annotated[str, Field(max_length=128)]
Labels = dict[LabelKey, LabelValue]


@dataclass
class _Scope:
    """What target validators need to know about the rest of the file."""

    auth_names: set[str] | None
    devices: set[str] = field(default_factory=set)


_SCOPE: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("edge_config_scope", default=None)


def _check_module(name: str) -> str:
    known = available_modules()
    if name not in known:
        msg = f"unknown module {name!r}; available: {', '.join(sorted(known))}"
        raise ValueError(msg)
    return name


ModuleName = Annotated[str, AfterValidator(_check_module)]


class AgentSection(ConfigModel):
    """Who this agent is."""

    node_id: Id = Field(description="MQTT node id (1-64 of A-Z a-z 0-9 . _ -); also the MQTT client id")
    labels: Labels = Field(default_factory=dict, description="labels of the agent itself, sent in its BIRTH")
    state_dir: Path | None = Field(
        default=None,
        description="where the bdSeq state file lives; default $STATE_DIRECTORY, else ~/.local/state/cunlink",
    )

    def state_file(self) -> Path:
        """The bdSeq state file of this node."""
        base = self.state_dir
        if base is None:
            env = os.environ.get("STATE_DIRECTORY")
            base = Path(env.split(":")[0]) if env else Path.home() / ".local" / "state" / "cunlink"
        return base / f"{self.node_id}.state.json"


class MqttSection(ConfigModel):
    """The broker connection."""

    host: str = Field(default="127.0.0.1", min_length=1, description="broker host name or address")
    port: int = Field(default=1883, ge=1, le=65535, description="broker TCP port")
    username: str | None = Field(default=None, description="MQTT user name (omit for anonymous)")
    password: Secret | None = Field(
        default=None, description="MQTT password (inline, env:NAME or file:/path)"
    )
    keepalive: int = Field(default=30, ge=5, le=3600, description="MQTT keepalive in seconds")
    client_id: str | None = Field(default=None, description="MQTT client id; default: the node id")
    ca_file: FilePath | None = Field(
        default=None, description="CA bundle (must exist); when set, connect with TLS"
    )
    max_buffered_devices: int = Field(
        default=10_000,
        ge=1,
        description="while offline, the newest DATA of at most this many devices is kept in memory",
    )


class PollSection(ConfigModel):
    """Polling defaults for every target."""

    interval: float = Field(default=60.0, ge=1.0, le=86_400, description="seconds between polls of a target")
    timeout: float = Field(default=2.0, gt=0, le=60, description="seconds to wait for one SNMP response")
    retries: int = Field(default=1, ge=0, le=10, description="resends of a request before it times out")
    max_repetitions: int = Field(default=25, ge=1, le=200, description="GETBULK max-repetitions")
    deadline: float | None = Field(
        default=None,
        gt=0,
        description="seconds a poll of one target may take before it is abandoned; default 0.8 x interval",
    )
    jitter: float = Field(
        default=0.1,
        ge=0,
        le=0.5,
        description="fraction of the interval over which targets' start times are spread (by device id)",
    )

    @model_validator(mode="after")
    def _deadline_below_interval(self) -> PollSection:
        if self.deadline is not None and self.deadline >= self.interval:
            msg = f"deadline ({self.deadline}) must be shorter than interval ({self.interval})"
            raise ValueError(msg)
        return self

    @property
    def effective_deadline(self) -> float:
        """The per-target deadline in seconds (always below the interval, so polls never overlap)."""
        return self.deadline if self.deadline is not None else 0.8 * self.interval


AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "3DES", "AES", "AES128", "AES192", "AES256", "AES192C", "AES256C"]


class AuthConfig(ConfigModel):
    """Credentials, apart from targets (as in snmp_exporter): ``2c`` needs a community, ``3`` a user."""

    version: Literal["2c", "3"] = Field(description='SNMP version: "2c" or "3"')
    community: Secret | None = Field(default=None, description="v2c community")
    username: str | None = Field(default=None, description="v3 USM user name")
    auth_protocol: AuthProtocol | None = Field(default=None, description="v3 authentication protocol")
    auth_password: Secret | None = Field(default=None, description="v3 authentication pass phrase")
    password: Secret | None = Field(
        default=None,
        description="v3 authentication pass phrase under snmp_exporter's name (use one of the two)",
    )
    security_level: Literal["noAuthNoPriv", "authNoPriv", "authPriv"] | None = Field(
        default=None,
        description="v3 security level as in snmp_exporter; when given it must match the keys set",
    )
    priv_protocol: PrivProtocol | None = Field(default=None, description="v3 privacy protocol")
    priv_password: Secret | None = Field(default=None, description="v3 privacy pass phrase")

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 3` (an int in YAML) is a natural thing to write.
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _fields_of_version(self) -> AuthConfig:
        v3_fields = (
            "username",
            "auth_protocol",
            "auth_password",
            "password",
            "security_level",
            "priv_protocol",
            "priv_password",
        )
        if self.version == "2c":
            if self.community is None:
                msg = 'version "2c" needs community'
                raise ValueError(msg)
            extra = [name for name in v3_fields if getattr(self, name) is not None]
            if extra:
                msg = f'version "2c" does not take {", ".join(extra)}'
                raise ValueError(msg)
            return self
        if self.community is not None:
            msg = 'version "3" does not take community'
            raise ValueError(msg)
        if not self.username:
            msg = 'version "3" needs username'
            raise ValueError(msg)
        if self.auth_password is not None and self.password is not None:
            msg = "give auth_password or password, not both"
            raise ValueError(msg)
        if (self.auth_protocol is None) != (self.auth_key is None):
            msg = "auth_protocol and auth_password go together"
            raise ValueError(msg)
        if (self.priv_protocol is None) != (self.priv_password is None):
            msg = "priv_protocol and priv_password go together"
            raise ValueError(msg)
        if self.priv_protocol is not None and self.auth_protocol is None:
            msg = "privacy needs authentication (set auth_protocol and auth_password)"
            raise ValueError(msg)
        level = "authPriv" if self.priv_protocol else "authNoPriv" if self.auth_protocol else "noAuthNoPriv"
        if self.security_level is not None and self.security_level != level:
            msg = f"security_level {self.security_level} does not match the keys given ({level})"
            raise ValueError(msg)
        return self

    @property
    def auth_key(self) -> SecretStr | None:
        """The v3 authentication pass phrase, under either of its names."""
        return self.auth_password if self.auth_password is not None else self.password


class TargetConfig(ConfigModel):
    """One device to poll."""

    device: Id = Field(description="device id (unique in this file); the last level of its MQTT topics")
    kind: Id = Field(description="device kind, a free token: gnb, olt_uplink, ups, ...")
    address: str = Field(min_length=1, description="IPv4 address or host name of the SNMP agent")
    port: int = Field(default=161, ge=1, le=65535, description="UDP port of the SNMP agent")
    auth: str = Field(description="name of an entry of auths")
    context: str | None = Field(
        default=None,
        min_length=1,
        description='v2c: community becomes "<community>@<context>" (community indexing); v3: contextName',
    )
    modules: list[ModuleName] = Field(min_length=1, description="SNMP modules to poll (edge_agent/modules)")
    labels: Labels = Field(
        default_factory=dict, description="labels of the device (county, township, site...)"
    )

    @field_validator("auth")
    @classmethod
    def _auth_exists(cls, value: str) -> str:
        scope = _SCOPE.get()
        if scope is not None and scope.auth_names is not None and value not in scope.auth_names:
            known = ", ".join(sorted(scope.auth_names)) or "none"
            msg = f"auth {value!r} is not defined in auths (defined: {known})"
            raise ValueError(msg)
        return value

    @field_validator("device")
    @classmethod
    def _device_unique(cls, value: str) -> str:
        scope = _SCOPE.get()
        if scope is not None:
            if value in scope.devices:
                msg = f"device {value!r} appears more than once"
                raise ValueError(msg)
            scope.devices.add(value)
        return value


class EdgeConfig(ConfigModel):
    """The whole edge agent config file."""

    agent: AgentSection = Field(description="identity of this agent")
    mqtt: MqttSection = Field(default_factory=MqttSection, description="broker connection")
    poll: PollSection = Field(default_factory=PollSection, description="polling defaults")
    auths: dict[str, AuthConfig] = Field(default_factory=dict, description="named SNMP credentials")
    targets: list[TargetConfig] = Field(default_factory=list, description="devices to poll")

    @model_validator(mode="wrap")
    @classmethod
    def _scoped(cls, data: Any, handler: Any) -> Any:
        # Target validators need the auth names of the same file; pydantic validates
        # list items without their parent, so hand the names over in a context variable.
        auths = data.get("auths") if isinstance(data, dict) else None
        names = {str(key) for key in auths} if isinstance(auths, dict) else None
        token = _SCOPE.set(_Scope(auth_names=names))
        try:
            return handler(data)
        finally:
            _SCOPE.reset(token)


def load(path: str | Path) -> EdgeConfig:
    """Read and validate an edge agent config file; raises ``ConfigError`` naming file:line:key."""
    return load_config(path, EdgeConfig)


def validate_config_file(path: str | Path) -> str:
    """Validate ``path`` and return it as YAML with defaults filled in and secrets masked."""
    return dump_masked(load(path))
