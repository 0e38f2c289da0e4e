"""Versioned content for kiosks, published as retained MQTT messages per scope.

One document per (kind, scope, area code): every publish writes a new revision (kept in
``content_history``) and sends ``Content`` retained on ``contract.topics.content_topic``,
so a kiosk that connects next week still gets the latest copy, and a narrower scope's
item overrides a wider one's by id on the kiosk. Withdrawing keeps a retained tombstone
(``withdrawn: true``) so that kiosks holding a cached copy drop it too.

Retained messages live in the broker; a broker that restarts without persistence loses
them. The hub therefore publishes every current document again each time its MQTT link
comes up (:meth:`ContentService.republish_all`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from contract import codec
from contract.payloads import Content
from contract.topics import CONTENT_SCOPES, content_topic
from hub.content import shapes
from hub.ingest.commands import Publisher
from hub.store import Store
from hub.workorders.places import Places

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Doc:
    """The current revision of one content document."""

    kind: str
    scope: str
    code: str
    revision: int
    version: str
    body: dict[str, Any]
    withdrawn: bool
    updated: float
    author: str

    @property
    def topic(self) -> str:
        """Where it is retained."""
        return content_topic(self.kind, self.scope, self.code or None)

    def message(self) -> Content:
        """The contract message."""
        return Content(
            ts=int(self.updated * 1000),
            version=self.version,
            kind=self.kind,  # type: ignore[arg-type]  # checked against SHAPES, a subset of ContentKind
            body={} if self.withdrawn else self.body,
            withdrawn=self.withdrawn,
        )


def check_scope(places: Places, scope: str, code: str | None) -> str:
    """The area code for a scope ('' for all), or ContentError naming what is wrong."""
    if scope not in CONTENT_SCOPES:
        msg = f"unknown scope {scope!r}; use one of {', '.join(CONTENT_SCOPES)}"
        raise shapes.ContentError(msg)
    if scope == "all":
        if code:
            msg = "scope 'all' takes no area code"
            raise shapes.ContentError(msg)
        return ""
    if not code:
        msg = f"scope {scope!r} needs an area code"
        raise shapes.ContentError(msg)
    if places.fleet is not None:
        index = places.fleet.index
        tables: dict[str, Collection[str]] = {
            "county": index.counties.keys(),
            "township": index.townships.keys(),
            "village": index.villages.keys(),
        }
        known = tables[scope]
        if code not in known:
            msg = f"no {scope} with code {code!r} in the fleet"
            raise shapes.ContentError(msg)
    return code


def write_doc(  # noqa: PLR0917 - the columns of one document
    db: sqlite_utils.Database,
    kind: str,
    scope: str,
    code: str,
    body: dict[str, Any],
    author: str,
    now: float,
    tz: dt.tzinfo,
    *,
    withdrawn: bool = False,
) -> Doc:
    """Write the next revision of a document (inside the caller's transaction)."""
    rows = list(
        db.query(
            "SELECT revision FROM content WHERE kind = ? AND scope = ? AND code = ?", [kind, scope, code]
        )
    )
    revision = (rows[0]["revision"] if rows else 0) + 1
    # Dotted numbers, so kiosks that compare versions as number tuples see every revision as newer.
    version = f"{dt.datetime.fromtimestamp(now, tz):%Y.%m%d}.{revision}"
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    db.execute(
        "INSERT INTO content (kind, scope, code, revision, version, body, withdrawn, updated, author)"
        " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (kind, scope, code)"
        " DO UPDATE SET revision = excluded.revision,"
        " version = excluded.version, body = excluded.body, withdrawn = excluded.withdrawn,"
        " updated = excluded.updated, author = excluded.author",
        [kind, scope, code, revision, version, text, int(withdrawn), now, author],
    )
    db.execute(
        "INSERT INTO content_history (kind, scope, code, revision, version, body, withdrawn, at, author)"
        " VALUES (?,?,?,?,?,?,?,?,?)",
        [kind, scope, code, revision, version, text, int(withdrawn), now, author],
    )
    return Doc(kind, scope, code, revision, version, body, withdrawn, now, author)


def _doc(row: dict[str, Any]) -> Doc:
    return Doc(
        row["kind"],
        row["scope"],
        row["code"],
        row["revision"],
        row["version"],
        json.loads(row["body"]),
        bool(row["withdrawn"]),
        row["updated"],
        row["author"],
    )


def current_docs(db: sqlite_utils.Database) -> list[Doc]:
    """Every document's current revision."""
    return [_doc(r) for r in db.query("SELECT * FROM content ORDER BY kind, scope, code")]


class ContentService:
    """Publishes, withdraws and re-publishes content documents."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float],
        publisher: Callable[[], Publisher],
        places: Places,
        tz: dt.tzinfo,
    ) -> None:
        self.store = store
        self._clock = clock
        self._publisher = publisher
        self.places = places
        self.tz = tz

    async def publish(
        self, kind: str, scope: str, code: str | None, body: dict[str, Any], author: str
    ) -> Doc:
        """Validate and publish a staff-written document (derived kinds are refused)."""
        if kind in shapes.DERIVED:
            msg = f"{kind} is written by the hub itself (categories: rules file; surveys: /api/v1/surveys)"
            raise shapes.ContentError(msg)
        return await self.put(kind, scope, code, body, author)

    async def put(self, kind: str, scope: str, code: str | None, body: dict[str, Any], author: str) -> Doc:
        """Validate, store and send one document (any kind)."""
        area = check_scope(self.places, scope, code)
        checked = shapes.validate(kind, body, complete=scope == "all")
        doc = Doc(kind, scope, area, 0, "0", checked, False, 0.0, author)
        if len(codec.encode(doc.message())) > codec.MAX_PAYLOAD_BYTES:
            msg = f"{kind}: larger than a content message may be ({codec.MAX_PAYLOAD_BYTES} bytes)"
            raise shapes.ContentError(msg)
        now = self._clock()
        written = await self.store.write(
            lambda db: write_doc(db, kind, scope, area, checked, author, now, self.tz)
        )
        self.send([written])
        return written

    async def put_if_changed(
        self, kind: str, scope: str, code: str | None, body: dict[str, Any], author: str
    ) -> Doc | None:
        """Publish only when the body differs from the current one (start-up sync of derived kinds)."""
        area = check_scope(self.places, scope, code)
        checked = shapes.validate(kind, body, complete=scope == "all")
        docs = await self.store.read(current_docs)
        for doc in docs:
            if (
                (doc.kind, doc.scope, doc.code) == (kind, scope, area)
                and doc.body == checked
                and not doc.withdrawn
            ):
                return None
        return await self.put(kind, scope, code, body, author)

    async def withdraw(self, kind: str, scope: str, code: str | None, author: str) -> Doc:
        """Replace a document with a retained tombstone."""
        area = check_scope(self.places, scope, code)
        now = self._clock()

        def write(db: sqlite_utils.Database) -> Doc:
            if not list(
                db.query(
                    "SELECT 1 FROM content WHERE kind = ? AND scope = ? AND code = ? AND withdrawn = 0",
                    [kind, scope, area],
                )
            ):
                msg = f"no published {kind} at {scope} {area}".rstrip()
                raise shapes.ContentError(msg)
            return write_doc(db, kind, scope, area, {}, author, now, self.tz, withdrawn=True)

        doc = await self.store.write(write)
        self.send([doc])
        return doc

    async def documents(self) -> list[Doc]:
        """Every current document."""
        return await self.store.read(current_docs)

    async def republish_all(self) -> int:
        """Send every current document again (after the MQTT link came up)."""
        docs = await self.store.read(current_docs)
        self.send(docs)
        return len(docs)

    def send(self, docs: list[Doc]) -> None:
        """Publish documents retained at QoS 1."""
        publisher = self._publisher()
        for doc in docs:
            publisher.publish(doc.topic, codec.encode(doc.message()), qos=1, retain=True)
        if docs:
            log.info("published %d content document(s)", len(docs))
