"""The body of each content kind, in the shape of the kiosk's own content files (docs/kiosk.md).

A kiosk keeps the last good copy of every kind and shows it offline for weeks, so a
malformed push would be shown (or crash a screen) long after anyone noticed. The hub
therefore validates every body against these structs before it publishes, and refuses
with the field named. ``affairs`` (村务公开) uses the notices shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Tiny = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
Long = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Date = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
#: One kind's body must stay well inside the contract's 256 KiB payload limit.
MAX_ITEMS = 200


class _Shape(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Named(_Shape, kw_only=True):
    """An id with a short Chinese name (categories, survey choices; the kiosk allows 16 chars)."""

    id: Id
    name: Tiny


class CatalogItem(_Shape, kw_only=True):
    """One service item of the 办事指南."""

    id: Id
    group: Short
    name: Short
    local: bool
    materials: list[Short]
    where: Long
    time_limit: Short


class Notice(_Shape, kw_only=True):
    """A notice or a village-affairs disclosure (三务公开)."""

    id: Id
    title: Short
    date: Date
    body: Long
    kind: Tiny | None = None


class SurveyItem(_Shape, kw_only=True):
    """A survey (意见征集) or consultation (重大事项协商) as kiosks show it."""

    id: Id
    kind: Short
    title: Short
    body: Long
    choices: Annotated[list[Named], msgspec.Meta(min_length=2, max_length=6)]


class WeatherDay(_Shape, kw_only=True):
    """One day of the forecast."""

    day: Short
    text: Short
    temp: Short


class Weather(_Shape, kw_only=True):
    """The cached forecast."""

    updated: Date
    days: Annotated[list[WeatherDay], msgspec.Meta(min_length=1, max_length=7)]


class FarmingTerm(_Shape, kw_only=True):
    """One solar term (节气) of the farming calendar."""

    term: Short
    date: Short
    text: Long


class HealthItem(_Shape, kw_only=True):
    """One piece of health advice."""

    id: Id
    title: Short
    body: Long


class Doctor(_Shape, kw_only=True):
    """The village doctor's clinic."""

    name: Short
    hours: Short


def _items(item: type[Any]) -> Any:
    return Annotated[list[item], msgspec.Meta(max_length=MAX_ITEMS)]  # type: ignore[valid-type]


@dataclass(frozen=True)
class Shape:
    """A kind's top-level keys, which ones the ``all`` scope must have, and its least item count.

    Narrower scopes (county, township, village) may send only some keys: kiosks lay them
    over the ``all`` copy (items merged by id), as kiosk/services/content.py does.
    """

    fields: dict[str, Any]
    required: tuple[str, ...]
    min_items: int = 0


SHAPES: dict[str, Shape] = {
    "catalog": Shape({"items": _items(CatalogItem)}, ("items",), 1),
    "categories": Shape({"items": _items(Named)}, ("items",), 1),
    "notices": Shape({"items": _items(Notice)}, ("items",)),
    "affairs": Shape({"items": _items(Notice)}, ("items",)),
    "surveys": Shape({"items": _items(SurveyItem)}, ("items",)),
    "info": Shape({"weather": Weather, "farming": _items(FarmingTerm)}, ("weather", "farming")),
    "health": Shape({"doctor": Doctor, "items": _items(HealthItem)}, ("items",)),
}

#: Kinds the hub writes itself: categories from the rules file, surveys from published items.
DERIVED = frozenset({"categories", "surveys"})


class ContentError(ValueError):
    """A body that does not fit its kind, or a kind that does not exist."""


def validate(kind: str, body: dict[str, Any], *, complete: bool = True) -> dict[str, Any]:
    """The body checked against its kind (``complete``: the ``all`` scope), as plain JSON data."""
    shape = SHAPES.get(kind)
    if shape is None:
        msg = f"unknown content kind {kind!r}; use one of {', '.join(sorted(SHAPES))}"
        raise ContentError(msg)
    unknown = sorted(set(body) - set(shape.fields))
    if unknown:
        msg = f"{kind}: unknown keys {', '.join(unknown)}"
        raise ContentError(msg)
    missing = [k for k in shape.required if k not in body] if complete else []
    if missing:
        msg = f"{kind}: missing {', '.join(missing)}"
        raise ContentError(msg)
    if not body:
        msg = f"{kind}: empty body (withdraw the document instead)"
        raise ContentError(msg)
    out: dict[str, Any] = {}
    for key, value in body.items():
        try:
            out[key] = msgspec.to_builtins(msgspec.convert(value, shape.fields[key]))
        except msgspec.ValidationError as exc:
            msg = f"{kind}.{key}: {exc}"
            raise ContentError(msg) from None
    ids = [item["id"] for item in out.get("items", [])]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        msg = f"{kind}: duplicate item ids {', '.join(duplicates)}"
        raise ContentError(msg)
    if complete and len(out.get("items", [])) < shape.min_items:
        msg = f"{kind}: needs at least {shape.min_items} item(s)"
        raise ContentError(msg)
    return out
