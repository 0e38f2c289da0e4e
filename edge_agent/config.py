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

from pydantic import AfterValidator, Field, FilePath, field_validator, model_validator

from contract.configfile import ConfigModel, Secret, dump_masked, load_config
from contract.errors import TopicError
from contract.topics import check_id
from edge_agent.auths import AuthConfig
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

    def state_base(self) -> Path:
        """The directory of this node's state files."""
        base = self.state_dir
        if base is None:
            env = os.environ.get("STATE_DIRECTORY")
            base = Path(env.split(":")[0]) if env else Path.home() / ".local" / "state" / "cunlink"
        return base

    def state_file(self) -> Path:
        """The bdSeq state file of this node."""
        return self.state_base() / f"{self.node_id}.state.json"

    def store_file(self) -> Path:
        """The SQLite file: outbox and device state (counters, uptimes)."""
        return self.state_base() / f"{self.node_id}.db"


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
    reconnect_max_delay: int = Field(
        default=30, ge=1, le=600, description="longest wait in seconds between connection attempts"
    )
    wait_for_hub: bool = Field(
        default=True,
        description="publish only while the hub's retained STATE says online (data waits in the outbox); "
        "false: publish whenever connected, unless STATE says offline",
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
    bulk: bool = Field(default=True, description="walk with GETBULK (false: GETNEXT only, for broken agents)")
    walk_concurrency: int = Field(
        default=2, ge=1, le=16, description="walk requests in flight at once per device"
    )
    columns_per_pdu: int = Field(default=10, ge=1, le=64, description="table columns walked in one GETBULK")
    max_in_flight: int = Field(
        default=256, ge=1, le=10_000, description="v1/v2c requests awaiting an answer at once, all targets"
    )
    retry_bulk_after: int = Field(
        default=10,
        ge=1,
        description="cycles on GETNEXT after a GETBULK failure before GETBULK is tried again",
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


class OutboxSection(ConfigModel):
    """Store and forward (docs/edge_agent.md, "Outbox")."""

    max_bytes: int | None = Field(
        default=None,
        ge=1024 * 1024,
        description="bound on stored bytes; default: 24 h of every target's DATA at 3 KiB each, >= 64 MiB",
    )
    max_age: float = Field(default=72 * 3600.0, gt=0, description="seconds telemetry is kept at most")
    alarm_max_age: float = Field(default=7 * 86400.0, gt=0, description="seconds alarms and events are kept")
    replay_rate: float | None = Field(
        default=None,
        gt=0,
        description="stored messages replayed per second at most; default 20 x the live rate, >= 20",
    )
    window: int = Field(default=50, ge=1, le=1000, description="messages awaiting PUBACK at once")
    synchronous: Literal["normal", "full"] = Field(
        default="normal", description="SQLite synchronous: normal survives a process crash, full a power cut"
    )


class TrapV3User(ConfigModel):
    """An SNMPv3 trap sender: its credentials (an auths entry) and its engine id."""

    auth: str = Field(description="name of a version 3 entry of auths")
    engine_id: str = Field(
        pattern=r"^(0x)?[0-9A-Fa-f]{10,64}$", description="the sender's snmpEngineID in hex (traps need it)"
    )
    device: str | None = Field(
        default=None, description="the device sending with this engine id (else: contextName, then address)"
    )


class TrapsSection(ConfigModel):
    """The trap and inform receiver."""

    enabled: bool = Field(default=False, description="listen for traps and informs")
    host: str = Field(default="0.0.0.0", description="address to listen on")
    port: int = Field(default=162, ge=0, le=65535, description="UDP port (162 needs CAP_NET_BIND_SERVICE)")
    communities: list[Secret] = Field(
        default_factory=list,
        description="v1/v2c communities accepted (with or without @device); default: those of auths",
    )
    v3: list[TrapV3User] = Field(default_factory=list, description="SNMPv3 senders, by engine id")


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
    interval: float | None = Field(default=None, ge=1.0, le=86_400, description="overrides poll.interval")
    timeout: float | None = Field(default=None, gt=0, le=60, description="overrides poll.timeout")
    retries: int | None = Field(default=None, ge=0, le=10, description="overrides poll.retries")
    max_repetitions: int | None = Field(
        default=None, ge=1, le=200, description="overrides poll.max_repetitions"
    )
    deadline: float | None = Field(default=None, gt=0, description="overrides poll.deadline")
    bulk: bool | None = Field(default=None, description="overrides poll.bulk")
    walk_concurrency: int | None = Field(
        default=None, ge=1, le=16, description="overrides poll.walk_concurrency"
    )

    @model_validator(mode="after")
    def _own_deadline_below_interval(self) -> TargetConfig:
        if self.deadline is not None and self.interval is not None and self.deadline >= self.interval:
            msg = f"deadline ({self.deadline}) must be shorter than interval ({self.interval})"
            raise ValueError(msg)
        return self

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


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """Effective polling settings of one target."""

    interval: float
    deadline: float
    timeout: float
    retries: int
    max_repetitions: int
    bulk: bool
    walk_concurrency: int


class EdgeConfig(ConfigModel):
    """The whole edge agent config file."""

    agent: AgentSection = Field(description="identity of this agent")
    mqtt: MqttSection = Field(default_factory=MqttSection, description="broker connection")
    poll: PollSection = Field(default_factory=PollSection, description="polling defaults")
    auths: dict[str, AuthConfig] = Field(default_factory=dict, description="named SNMP credentials")
    targets: list[TargetConfig] = Field(default_factory=list, description="devices to poll")
    outbox: OutboxSection = Field(default_factory=OutboxSection, description="store and forward")
    traps: TrapsSection = Field(default_factory=TrapsSection, description="trap and inform receiver")

    @model_validator(mode="after")
    def _cross_checks(self) -> EdgeConfig:
        for n, user in enumerate(self.traps.v3):
            auth = self.auths.get(user.auth)
            if auth is None or auth.version != "3":
                msg = f"traps.v3[{n}].auth: {user.auth!r} is not a version 3 entry of auths"
                raise ValueError(msg)
        for n, target in enumerate(self.targets):
            plan = self.plan(target)
            if plan.deadline >= plan.interval:
                msg = f"targets[{n}]: deadline {plan.deadline} must be shorter than interval {plan.interval}"
                raise ValueError(msg)
        return self

    def plan(self, target: TargetConfig) -> TargetPlan:
        """A target's effective polling settings (its overrides over ``poll``)."""
        poll = self.poll
        interval = target.interval if target.interval is not None else poll.interval
        if target.deadline is not None:
            deadline = target.deadline
        elif target.interval is None:
            deadline = poll.effective_deadline
        else:
            deadline = 0.8 * interval
        return TargetPlan(
            interval=interval,
            deadline=deadline,
            timeout=target.timeout if target.timeout is not None else poll.timeout,
            retries=target.retries if target.retries is not None else poll.retries,
            max_repetitions=target.max_repetitions or poll.max_repetitions,
            bulk=target.bulk if target.bulk is not None else poll.bulk,
            walk_concurrency=target.walk_concurrency or poll.walk_concurrency,
        )

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
