"""The declarative work-order policy: departments, categories, routing, deadlines, limits.

A city edits ``rules.yaml`` the way it edits a regulation: every department, every appeal
category with its deadline in working days, and routes ``category x area -> department``.
Loading is strict (unknown keys, unknown references and duplicate ids are errors naming
the file line), so a typo cannot silently send appeals to the wrong queue.

Routing picks the most specific route: a village beats a township, a township beats a
county, a county beats ``*``; at the same level a route naming the category beats a
``*`` category; remaining ties go to the first route in the file. No match -> the
default queue (the 12345 dispatch centre), where a dispatcher routes by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contract.configfile import ConfigModel, load_config
from contract.fleet import Fleet

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Name = Annotated[str, Field(min_length=1, max_length=64)]
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class Department(ConfigModel):
    """A queue of work: a bureau, a utility, a township office, or the dispatch centre."""

    id: Code = Field(description="Stable id; console staff belong to one.")
    name: Name = Field(description="Chinese name shown to handlers and in Open311 agency_responsible.")


class AttributeValue(ConfigModel):
    """One choice of a list attribute (Open311 AttributeValue)."""

    key: Code
    name: Name


class Attribute(ConfigModel):
    """An extra question of a category (Open311 ServiceAttribute)."""

    code: Code
    datatype: Datatype = "singlevaluelist"
    required: bool = False
    description: str = Field(default="", max_length=200)
    values: list[AttributeValue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lists_have_values(self) -> Attribute:
        if self.datatype.endswith("valuelist") and not self.values:
            msg = f"attribute {self.code}: a {self.datatype} needs values"
            raise ValueError(msg)
        return self


class Category(ConfigModel):
    """An appeal category (kiosk content ``categories``, Open311 service)."""

    id: Code
    name: str = Field(
        min_length=1, max_length=16, description="Chinese name; kiosks show at most 16 characters."
    )
    group: Name = Field(description="Open311 group; clusters categories for other systems.")
    deadline_days: int = Field(ge=1, le=90, description="Working days from receipt to resolution.")
    description: str = Field(default="", max_length=200)
    keywords: list[Name] = Field(default_factory=list)
    attributes: list[Attribute] = Field(default_factory=list)


class Route(ConfigModel):
    """``category x area -> department``."""

    category: str = Field(description="A category id, or `*` for every category.")
    area: str = Field(default="*", description="A county, township or village code, or `*`.")
    department: Code


class Limits(ConfigModel):
    """What an appeal may carry; beyond these it is rejected with a clear reason."""

    text_chars: int = Field(default=2000, ge=10, le=4000)
    voice_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    photo_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    voice_types: list[Code] = Field(
        default_factory=lambda: ["m4a", "aac", "opus", "ogg", "amr", "wav", "mp3"]
    )
    photo_types: list[Code] = Field(default_factory=lambda: ["jpg", "jpeg", "png", "webp"])


class FollowUp(ConfigModel):
    """好差评: what counts as a bad rating and how fast it must be followed up."""

    bad_score: int = Field(default=2, ge=1, le=4, description="Scores at or below this are bad.")
    days: int = Field(default=15, ge=1, le=90, description="Working days to fix a bad rating (Sichuan: 15).")
    service_department: Code | None = Field(
        default=None, description="Queue for bad ratings of a station's service; default: the default queue."
    )


class Integrity(ConfigModel):
    """Bursts that suggest proxy filling: that many requests from one source inside the window."""

    window_seconds: int = Field(default=600, ge=10, le=86400)
    lookback_hours: int = Field(default=24, ge=1, le=24 * 31)
    appeal: int = Field(default=10, ge=2)
    rating: int = Field(default=20, ge=2)
    vote: int = Field(default=30, ge=2)


class Calendar(ConfigModel):
    """Working days: Monday-Friday, minus public holidays, plus weekend make-up days (调休)."""

    utc_offset_hours: int = Field(default=8, ge=-12, le=14)
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)


class Rules(ConfigModel):
    """The whole rules file."""

    version: str = Field(min_length=1, max_length=32)
    default_queue: Code
    duplicate_days: int = Field(default=7, ge=0, le=90, description="0 turns 附议 off.")
    undo_seconds: int = Field(default=600, ge=0, le=86400, description="Withdraw window (MIIT: 10 min).")
    limits: Limits = Field(default_factory=Limits)
    followup: FollowUp = Field(default_factory=FollowUp)
    integrity: Integrity = Field(default_factory=Integrity)
    calendar: Calendar = Field(default_factory=Calendar)
    departments: list[Department]
    categories: list[Category]
    routes: list[Route] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Rules:
        departments = _unique("department", [d.id for d in self.departments])
        categories = _unique("category", [c.id for c in self.categories])
        if self.default_queue not in departments:
            msg = f"default_queue {self.default_queue!r} is not a department"
            raise ValueError(msg)
        if self.followup.service_department not in (None, *departments):
            msg = f"followup.service_department {self.followup.service_department!r} is not a department"
            raise ValueError(msg)
        for i, route in enumerate(self.routes):
            if route.category != "*" and route.category not in categories:
                msg = f"routes[{i}]: unknown category {route.category!r}"
                raise ValueError(msg)
            if route.department not in departments:
                msg = f"routes[{i}]: unknown department {route.department!r}"
                raise ValueError(msg)
        return self

    def category(self, category_id: str) -> Category | None:
        """The category with this id, if any."""
        return next((c for c in self.categories if c.id == category_id), None)

    def department(self, department_id: str) -> Department | None:
        """The department with this id, if any."""
        return next((d for d in self.departments if d.id == department_id), None)

    def department_name(self, department_id: str) -> str:
        """Name of a department (its id when unknown, e.g. removed from the file since)."""
        found = self.department(department_id)
        return found.name if found is not None else department_id

    def route(self, category: str, village: str, township: str, county: str) -> tuple[str, int | None]:
        """The department for an appeal, and the index of the route that chose it (None: default)."""
        levels = {village: 3, township: 2, county: 1, "*": 0}
        best: tuple[int, int, int] | None = None
        for i, r in enumerate(self.routes):
            if r.category not in (category, "*") or r.area not in levels:
                continue
            key = (levels[r.area], 1 if r.category == category else 0, -i)
            if best is None or key > best:
                best = key
        if best is None:
            return self.default_queue, None
        index = -best[2]
        return self.routes[index].department, index

    def unknown_areas(self, fleet: Fleet) -> list[str]:
        """Route areas that are not a code in ``fleet`` (a typo would silently never match)."""
        index = fleet.index
        known = set(index.counties) | set(index.townships) | set(index.villages)
        return [r.area for r in self.routes if r.area != "*" and r.area not in known]


def _unique(kind: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            msg = f"duplicate {kind} id {i!r}"
            raise ValueError(msg)
        seen.add(i)
    return seen


def load_rules(path: Path) -> Rules:
    """Read and validate a rules file; raises ConfigError naming file:line: key."""
    return load_config(path, Rules)
