"""R/etc/release.json: the settings the role writes, and the maintenance windows in them."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cunlink_release.errors import ReleaseError, check_token

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class Window:
    """A daily maintenance window in local time; ``end`` before ``start`` wraps past midnight."""

    start: int  # minutes after midnight
    end: int

    @classmethod
    def parse(cls, text: str) -> Window:
        m = _WINDOW.match(text.strip())
        if m is None:
            msg = f"invalid maintenance window {text!r}: use HH:MM-HH:MM (24 h, local time)"
            raise ReleaseError(msg, "usage")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return cls(h1 * 60 + m1, min(h2 * 60 + m2, 24 * 60))

    def contains(self, minute: int) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class Settings:
    """What the role writes to R/etc/release.json; every field has a safe default."""

    public_keys: tuple[Path, ...] = ()
    base_url: str | None = None
    artifact_name: str = "cunlink"
    ca_file: Path | None = None
    keep: int = 3
    session_lock: Path | None = None
    windows: tuple[Window, ...] = ()
    timezone: str | None = None
    restart_command: tuple[str, ...] = ()
    unit: str | None = None
    health_url: str | None = None
    verify_deadline: float = 60.0
    verify_interval: float = 2.0
    hook_timeout: float = 300.0
    hook_env: dict[str, str] = field(default_factory=dict)
    fetch_timeout: float = 30.0
    fetch_retries: int = 3
    max_rate: int = 0  # bytes per second, 0 = unlimited
    lock_timeout: float = 120.0

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read the settings file; a missing file means all defaults."""
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            msg = f"{path}: cannot read settings: {exc}"
            raise ReleaseError(msg, "settings") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> Settings:
        """Validate settings given as parsed JSON; ``path`` names their origin in errors."""
        if not isinstance(raw, dict):
            msg = f"{path}: settings must be a JSON object"
            raise ReleaseError(msg, "settings")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            # A typo in a knob must not silently disable a guard such as the session lock.
            msg = f"{path}: unknown settings {', '.join(unknown)}"
            raise ReleaseError(msg, "settings")
        try:
            return cls(
                public_keys=tuple(Path(p) for p in raw.get("public_keys", ())),
                base_url=raw.get("base_url") or None,
                artifact_name=check_token(str(raw.get("artifact_name", "cunlink")), "artifact name"),
                ca_file=Path(raw["ca_file"]) if raw.get("ca_file") else None,
                keep=max(1, int(raw.get("keep", 3))),
                session_lock=Path(raw["session_lock"]) if raw.get("session_lock") else None,
                windows=tuple(Window.parse(str(w)) for w in raw.get("windows", ())),
                timezone=raw.get("timezone") or None,
                restart_command=tuple(str(a) for a in raw.get("restart_command") or ()),
                unit=raw.get("unit") or None,
                health_url=raw.get("health_url") or None,
                verify_deadline=float(raw.get("verify_deadline", 60.0)),
                verify_interval=float(raw.get("verify_interval", 2.0)),
                hook_timeout=float(raw.get("hook_timeout", 300.0)),
                hook_env={str(k): str(v) for k, v in (raw.get("hook_env") or {}).items()},
                fetch_timeout=float(raw.get("fetch_timeout", 30.0)),
                fetch_retries=int(raw.get("fetch_retries", 3)),
                max_rate=int(raw.get("max_rate", 0)),
                lock_timeout=float(raw.get("lock_timeout", 120.0)),
            )
        except (TypeError, ValueError) as exc:
            msg = f"{path}: bad settings value: {exc}"
            raise ReleaseError(msg, "settings") from None


def in_window(settings: Settings, now: dt.datetime | None = None) -> bool:
    if not settings.windows:
        return True
    if now is None:
        tz: dt.tzinfo | None = None
        if settings.timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                tz = ZoneInfo(settings.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                msg = f"unknown time zone {settings.timezone!r}"
                raise ReleaseError(msg, "settings") from None
        now = dt.datetime.now(tz)
    minute = now.hour * 60 + now.minute
    return any(w.contains(minute) for w in settings.windows)
