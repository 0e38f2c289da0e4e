"""Typed kiosk config: ``kiosk:``, ``mqtt:``, ``timeouts:``, ``voice:``, ``assist:``, ``ui:``.

Every section rejects unknown keys and every number has a bound, so a typo in a
village's config fails at ``cunlink validate-config`` time with file:line, not
at 7 a.m. in front of a villager. Defaults follow reference/kiosk.md section 6.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contract.configfile import ConfigModel, Secret, dump_masked, load_config

Ident = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Name = Annotated[str, Field(min_length=1, max_length=32)]


class Village(ConfigModel):
    """A village a villager may file an appeal about (the kiosk's own and its neighbours)."""

    id: Ident = Field(description="village code as in the fleet inventory; also its content scope code")
    name: Name = Field(description="name shown to villagers, Simplified Chinese")


class KioskSection(ConfigModel):
    """Who this kiosk is and where it stands."""

    node_id: Ident = Field(description="MQTT node id, e.g. kiosk-bz-0001")
    village: Village = Field(description="the village whose service station this kiosk is in")
    township: Village = Field(description="township id and name")
    county: Name = Field(default="巴州区", description="county name for labels")
    county_code: Ident = Field(
        default="511902", description="county division code; selects the county's content topics"
    )
    nearby_villages: list[Village] = Field(
        default=[], max_length=12, description="other villages an appeal may be about"
    )
    data_dir: Path = Field(description="where the SQLite store, bdSeq and keyboard data live")


class MqttSection(ConfigModel):
    """The broker. All network I/O goes through kiosk.services.mqtt."""

    host: str = Field(default="127.0.0.1", description="broker host")
    port: int = Field(default=1883, ge=1, le=65535, description="broker port")
    username: str | None = Field(default=None, description="MQTT user name (usually the node id)")
    password: Secret | None = Field(default=None, description="MQTT password; env:NAME or file:/path")
    tls_ca: Path | None = Field(default=None, description="CA file; TLS is used when set")
    keepalive_s: int = Field(default=30, ge=5, le=600, description="MQTT keepalive")


class TimeoutsSection(ConfigModel):
    """Idle and session timers (seconds). Elder mode multiplies the idle ones."""

    browse_s: int = Field(default=90, ge=10, le=3600, description="idle before warning, browsing")
    form_s: int = Field(default=120, ge=10, le=3600, description="idle before warning, personal-data form")
    receipt_s: int = Field(default=60, ge=10, le=3600, description="idle on the receipt screen")
    warning_s: int = Field(default=30, ge=20, le=300, description="spoken countdown before the wipe")
    elder_factor: float = Field(default=2.0, ge=1.0, le=10.0, description="idle multiplier in elder mode")
    assisted_s: int = Field(default=1800, ge=60, le=14400, description="assisted (代办) sign-in lifetime")
    undo_s: int = Field(default=600, ge=0, le=3600, description="how long a submission can be undone")
    reply_wait_s: float = Field(default=8.0, gt=0, le=120, description="wait for a status lookup answer")
    retry_s: float = Field(default=15.0, gt=0, le=3600, description="re-send unacknowledged requests")
    heartbeat_s: float = Field(default=60.0, gt=0, le=3600, description="DATA heartbeat period")


class VoiceSection(ConfigModel):
    """Speech. espeak-ng is always available offline; speech-dispatcher if the image has it."""

    engine: Literal["espeak-ng", "speechd", "none"] = Field(default="espeak-ng", description="TTS engine")
    voice: str = Field(default="cmn", description="espeak-ng voice or speech-dispatcher voice name")
    rate: int = Field(default=140, ge=80, le=200, description="words per minute, standard mode")
    elder_rate: int = Field(default=115, ge=60, le=200, description="words per minute, elder mode")
    volume: int = Field(default=70, ge=0, le=100, description="volume every session starts at")
    max_volume: int = Field(default=100, ge=0, le=100, description="ceiling of the volume button")
    prompts_dir: Path | None = Field(default=None, description="recorded prompts: <prompt-id>.wav")
    player: str = Field(default="aplay -q", description="command that plays a recorded prompt file")
    auto_read: bool = Field(default=False, description="read every screen aloud (always on in elder mode)")
    note_max_s: int = Field(default=120, ge=10, le=600, description="longest voice note for an appeal")

    @model_validator(mode="after")
    def _volume_bounds(self) -> VoiceSection:
        if self.volume > self.max_volume:
            msg = "volume must not exceed max_volume"
            raise ValueError(msg)
        return self


class Staff(ConfigModel):
    """A village helper who may sign in for assisted (代办) mode."""

    id: Ident = Field(description="staff id recorded as assisted_by")
    code: Secret = Field(description="sign-in code (digits); env:NAME or file:/path recommended")


class AssistSection(ConfigModel):
    """Assisted mode (代办)."""

    staff: list[Staff] = Field(default=[], description="helpers allowed to sign in")


class UiSection(ConfigModel):
    """Screen geometry."""

    width: int = Field(default=1920, ge=640, le=7680, description="window width in px")
    height: int = Field(default=1080, ge=480, le=7680, description="window height in px")
    fullscreen: bool = Field(default=True, description="frameless full screen (no way to the desktop)")
    elder_default: bool = Field(default=False, description="start every session in elder mode")


class KioskConfig(ConfigModel):
    """The whole kiosk config file."""

    kiosk: KioskSection
    mqtt: MqttSection = MqttSection()
    timeouts: TimeoutsSection = TimeoutsSection()
    voice: VoiceSection = VoiceSection()
    assist: AssistSection = AssistSection()
    ui: UiSection = UiSection()


def load(path: str | Path) -> KioskConfig:
    """Read and validate a kiosk config (raises contract.configfile.ConfigError)."""
    return load_config(path, KioskConfig)


def validate_config_file(path: Path) -> str:
    """For ``cunlink validate-config``: the config as YAML with secrets masked."""
    return dump_masked(load(path))
