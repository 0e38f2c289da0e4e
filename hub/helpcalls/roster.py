"""The duty roster: which cadre answers help calls for which village (or township), and when.

Hours are written the way a township office writes them on the wall chart,
``"mon-fri 08:30-17:30"``, ``"sat,sun 09:00-12:00"``, ``"daily 00:00-24:00"``, in the
roster's time zone (Asia/Shanghai). A range whose end is not after its start runs past
midnight and belongs to the day it starts on (``"daily 20:00-08:00"`` is a night shift).
The first listed cadre on duty is the one notified, so order a list by preference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from contract.configfile import ConfigModel, load_config

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(?P<days>[a-z,-]+)\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$")

AreaCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Phone = Annotated[str, Field(pattern=r"^[0-9+][0-9 -]{2,23}$")]
Level = Literal["village", "township", "none"]


@dataclass(frozen=True, slots=True)
class Shift:
    """One parsed hours entry: weekdays (0 = Monday) and minutes since midnight."""

    days: frozenset[int]
    start: int
    end: int

    def covers(self, local: datetime) -> bool:
        """Whether the local time falls in this shift (night shifts count for their start day)."""
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if self.end > self.start:
            return day in self.days and self.start <= minute < self.end
        return (day in self.days and minute >= self.start) or (
            (day - 1) % 7 in self.days and minute < self.end
        )


def parse_shift(text: str) -> Shift:
    """``"mon-fri 08:30-17:30"`` -> Shift; ValueError naming what is wrong."""
    match = _RANGE.match(text.strip().lower())
    if match is None:
        msg = f"{text!r} is not like 'mon-fri 08:30-17:30'"
        raise ValueError(msg)
    days: set[int] = set()
    for part in match["days"].split(","):
        if part == "daily":
            days.update(range(7))
            continue
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            msg = f"{part!r} is not a weekday ({', '.join(DAYS)}, or daily)"
            raise ValueError(msg)
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
    start, end = (_minutes(match[k]) for k in ("start", "end"))
    if start == end:
        msg = f"{text!r} is an empty range"
        raise ValueError(msg)
    return Shift(frozenset(days), start, end)


def _minutes(hhmm: str) -> int:
    hours, minutes = int(hhmm[:2]), int(hhmm[3:])
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        msg = f"{hhmm} is not a time of day"
        raise ValueError(msg)
    return hours * 60 + minutes


class Cadre(ConfigModel):
    """One person on the duty list of a village or township."""

    name: str = Field(min_length=1, max_length=32, description="As villagers know them: 王书记, 李主任.")
    phone: Phone = Field(description="Where the notifier reaches them (SMS); never shown at a kiosk.")
    hours: list[str] = Field(min_length=1, description="Duty hours, e.g. `mon-fri 08:30-17:30`.")

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_shift(text)
        return value

    @cached_property
    def shifts(self) -> tuple[Shift, ...]:
        """The parsed hours."""
        return tuple(parse_shift(text) for text in self.hours)

    def on_duty(self, local: datetime) -> bool:
        """Whether this cadre is on duty at that local time."""
        return any(shift.covers(local) for shift in self.shifts)


class Area(ConfigModel):
    """The duty list of one village or township."""

    help_phone: Phone | None = Field(
        default=None,
        description="A phone the kiosk shows when nobody is on duty (the station or office, not a person's).",
    )
    duty: list[Cadre] = Field(
        default_factory=list, description="Who is on duty when, in order of preference."
    )


class Roster(ConfigModel):
    """The whole roster file."""

    timezone: str = Field(default="Asia/Shanghai", description="Time zone of every hours entry.")
    help_phone: Phone | None = Field(
        default=None, description="The phone shown when neither village nor township names one."
    )
    villages: dict[AreaCode, Area] = Field(default_factory=dict, description="Village code -> duty list.")
    townships: dict[AreaCode, Area] = Field(
        default_factory=dict, description="Township code -> duty list: the fallback and the escalation."
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {value!r}"
            raise ValueError(msg) from None
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        """The roster's time zone."""
        return ZoneInfo(self.timezone)

    def on_duty(self, level: Level, code: str | None, now: float) -> Cadre | None:
        """The first cadre of that village or township on duty at ``now`` (epoch seconds)."""
        areas = self.villages if level == "village" else self.townships
        area = areas.get(code or "")
        if area is None:
            return None
        local = datetime.fromtimestamp(now, self.tz)
        return next((c for c in area.duty if c.on_duty(local)), None)

    def pick(self, village: str, township: str | None, now: float) -> tuple[Level, Cadre | None]:
        """Village duty first, then the township's; ``("none", None)`` when nobody is on duty."""
        order: tuple[tuple[Level, str | None], ...] = (("village", village), ("township", township))
        for level, code in order:
            cadre = self.on_duty(level, code, now)
            if cadre is not None:
                return level, cadre
        return "none", None

    def phone_for(self, village: str, township: str | None) -> str:
        """The public help phone for a village ('' when the roster names none)."""
        for area in (self.villages.get(village), self.townships.get(township or "")):
            if area is not None and area.help_phone:
                return area.help_phone
        return self.help_phone or ""


def load_roster(path: Path | None) -> Roster:
    """The roster file (an empty roster when None); ConfigError with file:line on mistakes."""
    return Roster() if path is None else load_config(path, Roster)
