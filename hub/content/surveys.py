"""Surveys (意见征集) and consultations on major village matters (村级重大事项协商).

Staff publish an item for an area; the hub keeps the ``surveys`` content of that scope
equal to the open items published there, so kiosks show it (offline too) until it is
closed. Votes come back as kiosk requests (workorders.feedback.vote); results are counted
per village from the kiosk that took each vote, never from anything a voter typed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import msgspec
import sqlite_utils

from hub.content.publish import ContentService, Doc, check_scope, write_doc
from hub.content.shapes import ContentError, Named, validate

KIND_LABELS = {"survey": "意见征集", "consultation": "重大事项协商"}


class ItemIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A survey or consultation as staff publish it."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    kind: Literal["survey", "consultation"]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    choices: Annotated[list[Named], msgspec.Meta(min_length=2, max_length=6)]
    scope: Literal["all", "county", "township", "village"] = "all"
    code: str | None = None


class ChoiceCount(msgspec.Struct, kw_only=True):
    """Votes for one choice."""

    choice: str
    name: str
    votes: int


class VillageResult(msgspec.Struct, kw_only=True):
    """One village's answers."""

    village: str
    township: str
    county: str
    village_name: str
    total: int
    choices: list[ChoiceCount]


class ItemResults(msgspec.Struct, kw_only=True):
    """The results of one item, overall and by village."""

    id: str
    kind: str
    title: str
    state: str
    scope: str
    code: str
    total: int
    choices: list[ChoiceCount]
    villages: list[VillageResult]


def _scope_body(db: sqlite_utils.Database, scope: str, code: str) -> dict[str, Any]:
    items = [
        {
            "id": r["id"],
            "kind": KIND_LABELS[r["kind"]],
            "title": r["title"],
            "body": r["body"],
            "choices": json.loads(r["choices"]),
        }
        for r in db.query(
            "SELECT * FROM items WHERE scope = ? AND code = ? AND state = 'open' ORDER BY created",
            [scope, code],
        )
    ]
    return validate("surveys", {"items": items})


async def publish_item(content: ContentService, item: ItemIn, author: str, now: float) -> Doc:
    """Store a new item and publish its scope's surveys content."""
    code = check_scope(content.places, item.scope, item.code)
    ids = [c.id for c in item.choices]
    if len(set(ids)) != len(ids):
        raise ContentError("choice ids must be unique")

    def write(db: sqlite_utils.Database) -> Doc:
        if list(db.query("SELECT 1 FROM items WHERE id = ?", [item.id])):
            msg = f"item {item.id!r} exists already; items are never reused, give the new one its own id"
            raise ContentError(msg)
        db.execute(
            "INSERT INTO items (id, kind, title, body, choices, scope, code, state, created, author)"
            " VALUES (?,?,?,?,?,?,?,'open',?,?)",
            [
                item.id,
                item.kind,
                item.title,
                item.body,
                json.dumps(msgspec.to_builtins(item.choices), ensure_ascii=False),
                item.scope,
                code,
                now,
                author,
            ],
        )
        return write_doc(
            db, "surveys", item.scope, code, _scope_body(db, item.scope, code), author, now, content.tz
        )

    doc: Doc = await content.store.write(write)
    content.send([doc])
    return doc


async def close_item(content: ContentService, item_id: str, author: str, now: float) -> Doc:
    """Stop taking votes and take the item off kiosks."""

    def write(db: sqlite_utils.Database) -> Doc:
        rows = list(db.query("SELECT * FROM items WHERE id = ?", [item_id]))
        if not rows:
            msg = f"no item {item_id!r}"
            raise ContentError(msg)
        if rows[0]["state"] != "open":
            msg = f"item {item_id!r} is closed already"
            raise ContentError(msg)
        db.execute("UPDATE items SET state = 'closed', closed = ? WHERE id = ?", [now, item_id])
        scope, code = rows[0]["scope"], rows[0]["code"]
        return write_doc(db, "surveys", scope, code, _scope_body(db, scope, code), author, now, content.tz)

    doc: Doc = await content.store.write(write)
    content.send([doc])
    return doc


def results(db: sqlite_utils.Database, item_id: str, names: dict[str, str]) -> ItemResults | None:
    """Counts by choice, overall and per village (withdrawn votes left out)."""
    rows = list(db.query("SELECT * FROM items WHERE id = ?", [item_id]))
    if not rows:
        return None
    item = rows[0]
    choices = {c["id"]: c["name"] for c in json.loads(item["choices"])}
    counts = list(
        db.query(
            "SELECT village, township, county, choice, COUNT(*) AS n FROM votes"
            " WHERE item_id = ? AND withdrawn IS NULL GROUP BY village, township, county, choice"
            " ORDER BY village",
            [item_id],
        )
    )
    villages: dict[str, dict[str, Any]] = {}
    overall = dict.fromkeys(choices, 0)
    for r in counts:
        v = villages.setdefault(
            r["village"] or "",
            {
                "township": r["township"] or "",
                "county": r["county"] or "",
                "counts": dict.fromkeys(choices, 0),
            },
        )
        v["counts"][r["choice"]] = v["counts"].get(r["choice"], 0) + r["n"]
        overall[r["choice"]] = overall.get(r["choice"], 0) + r["n"]

    def listed(counts: dict[str, int]) -> list[ChoiceCount]:
        return [ChoiceCount(choice=c, name=choices.get(c, c), votes=n) for c, n in counts.items()]

    return ItemResults(
        id=item["id"],
        kind=item["kind"],
        title=item["title"],
        state=item["state"],
        scope=item["scope"],
        code=item["code"],
        total=sum(overall.values()),
        choices=listed(overall),
        villages=[
            VillageResult(
                village=code,
                township=v["township"],
                county=v["county"],
                village_name=names.get(code, code),
                total=sum(v["counts"].values()),
                choices=listed(v["counts"]),
            )
            for code, v in villages.items()
        ],
    )
