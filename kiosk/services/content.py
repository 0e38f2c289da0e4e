"""Content cache: catalog, appeal categories, notices, village affairs, surveys, weather, health.

Content arrives from the hub as retained ``contract.payloads.Content`` messages on
``cl/v1/content/all/{kind}`` and ``cl/v1/content/{county|township|village}/{code}/{kind}``
(``contract.topics.content_subscriptions``). Each (kind, scope) is kept as one *layer*
in SQLite, so the last good copy survives restarts and a dead uplink. What the views
read is the merge of the layers, widest first:

- ``all``: the hub's copy, or, until the hub has sent one, the copy packaged in
  kiosk/content (the floor a kiosk ships with). ``all`` must be complete for its kind.
- ``county``, ``township``, ``village``: partial. Top-level keys replace the wider
  scope's; ``items`` are merged by ``id``: a narrower item replaces the wider one with
  the same id in place, and items only in narrower scopes come first, narrowest first.

Every body is validated against the kind's shape below before it is stored; an invalid
one is refused (logged) and the last good copy stays. ``withdrawn: true`` removes a
layer (for ``all`` the packaged floor shows again). docs/kiosk.md documents the shapes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any, get_args

import msgspec
import yaml

from contract import payloads as p
from contract.topics import CONTENT_SCOPES
from kiosk.services.store import Store

log = logging.getLogger("kiosk.content")

KINDS: tuple[str, ...] = get_args(p.ContentKind)

Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Long = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class _Shape(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class CatalogItem(_Shape):
    """One service item of the 办事指南."""

    id: Id
    group: Short
    name: Short
    local: bool
    materials: list[Short]
    where: Long
    time_limit: Short


class Category(_Shape):
    """One appeal category (the hub routes on ``id``)."""

    id: Id
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class Notice(_Shape):
    """A notice (通知) or a village-affairs disclosure (三务公开)."""

    id: Id
    title: Short
    date: Annotated[str, msgspec.Meta(max_length=32)]
    body: Long
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=16)] | None = None


class Choice(_Shape):
    """One answer of a survey."""

    id: Id
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class Survey(_Shape):
    """A survey or a consultation on a village matter."""

    id: Id
    kind: Short
    title: Short
    body: Long
    choices: Annotated[list[Choice], msgspec.Meta(min_length=2, max_length=6)]


class HealthItem(_Shape):
    """One health topic."""

    id: Id
    title: Short
    body: Long


class Doctor(_Shape):
    """The village clinic."""

    name: Short
    hours: Short


class Day(_Shape):
    """One day of the forecast."""

    day: Short
    text: Short
    temp: Short


class Weather(_Shape):
    """A cached forecast and when it was fetched."""

    updated: Annotated[str, msgspec.Meta(max_length=32)]
    days: Annotated[list[Day], msgspec.Meta(min_length=1, max_length=7)]


class Term(_Shape):
    """A solar term and what to do in the fields."""

    term: Short
    date: Short
    text: Long


Items = Annotated[list[Any], msgspec.Meta(max_length=500)]


@dataclass(frozen=True)
class Shape:
    """The body of one kind: top-level keys, their types, and which ``all`` must have."""

    fields: dict[str, Any]
    required: tuple[str, ...]
    min_items: int = 0


SHAPES: dict[str, Shape] = {
    "catalog": Shape({"items": list[CatalogItem]}, ("items",), 1),
    "categories": Shape({"items": list[Category]}, ("items",), 1),
    "notices": Shape({"items": list[Notice]}, ("items",)),
    "affairs": Shape({"items": list[Notice]}, ("items",)),
    "surveys": Shape({"items": list[Survey]}, ("items",)),
    "info": Shape({"weather": Weather, "farming": list[Term]}, ("weather", "farming")),
    "health": Shape({"doctor": Doctor, "items": list[HealthItem]}, ("items",)),
}


class ContentError(ValueError):
    """A body does not have the shape of its kind."""


def validate(kind: str, body: dict[str, Any], *, complete: bool) -> dict[str, Any]:
    """``body`` checked against the shape of ``kind``; ``complete`` for the ``all`` layer."""
    shape = SHAPES.get(kind)
    if shape is None:
        msg = f"unknown content kind {kind!r}"
        raise ContentError(msg)
    unknown = set(body) - set(shape.fields)
    if unknown:
        msg = f"{kind}: unknown keys {sorted(unknown)}"
        raise ContentError(msg)
    missing = [k for k in shape.required if k not in body] if complete else []
    if missing:
        msg = f"{kind}: missing {missing}"
        raise ContentError(msg)
    for key, value in body.items():
        try:
            msgspec.convert(value, shape.fields[key])
        except msgspec.ValidationError as exc:
            msg = f"{kind}.{key}: {exc}"
            raise ContentError(msg) from None
    items = body.get("items", [])
    ids = [i["id"] for i in items]
    if len(ids) != len(set(ids)):
        msg = f"{kind}: repeated item id"
        raise ContentError(msg)
    if complete and len(items) < shape.min_items:
        msg = f"{kind}: needs at least {shape.min_items} item(s)"
        raise ContentError(msg)
    return body


def packaged(kind: str) -> dict[str, Any]:
    """The copy of ``kind`` shipped in kiosk/content, without its ``version`` key."""
    text = resources.files("kiosk.content").joinpath(f"{kind}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    # YAML dates become date objects; content is shown as text, so keep it JSON-safe.
    safe: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    safe.pop("version", None)
    return safe


def packaged_version(kind: str) -> str:
    """Version string of the packaged copy."""
    text = resources.files("kiosk.content").joinpath(f"{kind}.yaml").read_text(encoding="utf-8")
    return str(yaml.safe_load(text)["version"])


def merge(layers: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Merge bodies given widest first (see the module doc for the rule)."""
    ordered = list(layers)
    out: dict[str, Any] = {}
    for body in ordered:
        out.update({k: v for k, v in body.items() if k != "items"})
    if any("items" in body for body in ordered):
        final: dict[str, Any] = {}
        for body in ordered:  # the narrowest copy of an id wins
            for item in body.get("items", []):
                final[item["id"]] = item
        widest = [i["id"] for i in ordered[0].get("items", [])]
        out["items"] = _narrow_first(ordered, final, set(widest)) + [final[i] for i in widest]
    return out


def _narrow_first(
    ordered: list[dict[str, Any]], final: dict[str, Any], widest: set[str]
) -> list[dict[str, Any]]:
    """Items absent from the widest layer, narrowest layer first, each layer in its own order."""
    seen: set[str] = set(widest)
    out: list[dict[str, Any]] = []
    for body in reversed(ordered[1:]):
        for item in body.get("items", []):
            if item["id"] not in seen:
                seen.add(item["id"])
                out.append(final[item["id"]])
    return out


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version))


@dataclass(frozen=True)
class Layer:
    """One stored layer."""

    kind: str
    scope: str
    code: str
    version: str
    ts: int
    body: dict[str, Any]


class ContentStore:
    """Layers of content per kind, merged for the views; one SQLite row per layer."""

    def __init__(self, store: Store, area: dict[str, str] | None = None) -> None:
        self.store = store
        #: This kiosk's area codes by scope; layers of other areas are ignored.
        self.area = {"all": "", **(area or {})}
        self._merged: dict[str, dict[str, Any]] = {}
        for kind in KINDS:
            validate(kind, packaged(kind), complete=True)  # a broken package must fail loudly

    # -- what the models read ----------------------------------------------------------

    def get(self, kind: str) -> dict[str, Any]:
        """The merged document of ``kind`` (cached until a layer changes)."""
        cached = self._merged.get(kind)
        if cached is None:
            layers = self.layers(kind)
            bodies = [layer.body for layer in layers]
            if not layers or layers[0].scope != "all":
                bodies.insert(0, packaged(kind))
            cached = merge(bodies)
            self._merged[kind] = cached
        return cached

    def version(self, kind: str) -> str:
        """What the kiosk shows of ``kind``: ``scope:version`` of each layer, widest first."""
        layers = self.layers(kind)
        parts = [f"{layer.scope}:{layer.version}" for layer in layers]
        if not layers or layers[0].scope != "all":
            parts.insert(0, f"packaged:{packaged_version(kind)}")
        return " ".join(parts)

    def layers(self, kind: str) -> list[Layer]:
        """Stored layers of ``kind`` for this kiosk's area, widest first."""
        rows = self.store.query("SELECT * FROM content_layers WHERE kind = ?", (kind,))
        found = [
            Layer(r["kind"], r["scope"], r["code"], r["version"], r["ts_ms"], json.loads(r["body"]))
            for r in rows
            if self.area.get(r["scope"]) == r["code"]
        ]
        return sorted(found, key=lambda layer: CONTENT_SCOPES.index(layer.scope))

    # -- what the hub sends ------------------------------------------------------------

    def offer(self, scope: str, code: str, content: p.Content) -> bool:
        """Take a pushed layer if it is for us, valid and newer; True when the merge changed."""
        kind = content.kind
        if scope not in CONTENT_SCOPES or self.area.get(scope) != code:
            log.warning("content for %s/%s is not for this kiosk; ignored", scope, code)
            return False
        rows = self.store.query(
            "SELECT version, ts_ms FROM content_layers WHERE kind = ? AND scope = ? AND code = ?",
            (kind, scope, code),
        )
        if rows:
            held = (rows[0]["ts_ms"], _version_key(rows[0]["version"]), rows[0]["version"])
            offered = (content.ts, _version_key(content.version), content.version)
            if offered[:2] < held[:2] or offered == held:
                return False  # a redelivered retained copy, or an older one arriving late
        if content.withdrawn:
            changed = (
                self.store.write(
                    "DELETE FROM content_layers WHERE kind = ? AND scope = ? AND code = ?",
                    (kind, scope, code),
                )
                > 0
            )
            self._merged.pop(kind, None)
            return changed
        try:
            body = validate(kind, content.body, complete=scope == "all")
        except ContentError as exc:
            log.warning("refused %s content %s from %s/%s: %s", kind, content.version, scope, code, exc)
            return False
        self.store.write(
            "INSERT OR REPLACE INTO content_layers(kind, scope, code, version, ts_ms, body, updated_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                scope,
                code,
                content.version,
                content.ts,
                json.dumps(body, ensure_ascii=False),
                self.store.clock(),
            ),
        )
        self._merged.pop(kind, None)
        return True
