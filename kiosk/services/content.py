"""Content cache: catalog, appeal categories, notices, surveys, weather/farming, health.

The packaged YAML in kiosk/content is the floor: it is copied into SQLite on first
start and whenever it is newer than the cached copy. Newer copies pushed by the
hub (see content_feed) replace it, and survive restarts and a dead uplink.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import yaml

from kiosk.services.store import Store

KINDS = ("catalog", "categories", "notices", "surveys", "info", "health")


def packaged(kind: str) -> dict[str, Any]:
    """The copy of ``kind`` shipped in kiosk/content."""
    text = resources.files("kiosk.content").joinpath(f"{kind}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    # YAML dates become date objects; content is shown as text, so keep it JSON-safe.
    safe: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    return safe


def _newer(a: str, b: str) -> bool:
    """Versions are dotted numbers ("2026.1"); compare them as tuples."""

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) if x.isdigit() else 0 for x in v.split("."))

    return key(a) > key(b)


class ContentStore:
    """Read-mostly cache of content bundles, one JSON document per kind."""

    def __init__(self, store: Store) -> None:
        self.store = store
        for kind in KINDS:
            shipped = packaged(kind)
            current = self.version(kind)
            if current is None or _newer(str(shipped["version"]), current):
                self.put(kind, str(shipped["version"]), shipped)

    def version(self, kind: str) -> str | None:
        """Cached version of ``kind``."""
        rows = self.store.query("SELECT version FROM content WHERE kind = ?", (kind,))
        return str(rows[0]["version"]) if rows else None

    def get(self, kind: str) -> dict[str, Any]:
        """The cached document of ``kind``."""
        rows = self.store.query("SELECT body FROM content WHERE kind = ?", (kind,))
        if not rows:
            return packaged(kind)
        body: dict[str, Any] = json.loads(rows[0]["body"])
        return body

    def put(self, kind: str, version: str, body: dict[str, Any]) -> None:
        """Replace the cached document of ``kind``."""
        if kind not in KINDS:
            msg = f"unknown content kind {kind!r}"
            raise ValueError(msg)
        self.store.write(
            "INSERT OR REPLACE INTO content(kind, version, body, updated_ms) VALUES (?, ?, ?, ?)",
            (kind, version, json.dumps(body, ensure_ascii=False), self.store.clock()),
        )

    def offer(self, kind: str, version: str, body: dict[str, Any]) -> bool:
        """Take a pushed copy if it is newer than the cached one; True if taken."""
        current = self.version(kind)
        if current is not None and not _newer(version, current):
            return False
        self.put(kind, version, body)
        return True
