"""The work-order shapes other systems see (JSON API): summaries, details, history.

Kept in one place so the API, the console and the export describe an order the same way;
times are RFC 3339 in China time, like the export and Open311.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hub.workorders.calendar import WorkCalendar
from hub.workorders.export import mask
from hub.workorders.flow import STATE_LABELS, State
from hub.workorders.queries import is_overdue
from hub.workorders.rules import Rules


class Summary(msgspec.Struct, kw_only=True):
    """One work order in a list."""

    receipt: str
    category: str
    village: str
    township: str
    county: str
    state: str
    state_name: str
    department: str
    source: str
    created: str
    updated: str
    deadline: str
    overdue: bool
    working_days_left: int
    seconds: int
    reopened: int
    status_notes: str


class Filing(msgspec.Struct, kw_only=True):
    """One villager's appeal on the order (the first, or a 附议)."""

    receipt: str
    primary: bool
    created: str
    node: str | None
    assisted_by: str | None
    contact: str | None
    text: str
    withdrawn: bool


class HistoryEntry(msgspec.Struct, kw_only=True):
    """One append-only history row."""

    at: str
    actor: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    department: str | None
    note: str


class Detail(Summary, kw_only=True):
    """A work order with everything that happened to it."""

    text: str
    attributes: dict[str, Any]
    has_voice: bool
    has_photo: bool
    filings: list[Filing]
    history: list[HistoryEntry]
    ratings: list[int]
    followups_open: int


class OrderList(msgspec.Struct, kw_only=True):
    """A page of orders."""

    items: list[Summary]
    limit: int
    offset: int


def summary(o: dict[str, Any], now: float, cal: WorkCalendar) -> Summary:
    """The list view of an order row."""
    return Summary(
        receipt=o["receipt"],
        category=o["category"],
        village=o["village"],
        township=o["township"],
        county=o["county"],
        state=o["state"],
        state_name=STATE_LABELS[State(o["state"])],
        department=o["department"],
        source=o["source"],
        created=cal.iso(o["created"]),
        updated=cal.iso(o["updated"]),
        deadline=cal.iso(o["deadline"]),
        overdue=is_overdue(o, now),
        working_days_left=cal.working_days_left(now, o["deadline"]),
        seconds=o["seconds"],
        reopened=o["reopened"],
        status_notes=o["status_notes"],
    )


def detail(o: dict[str, Any], now: float, cal: WorkCalendar, rules: Rules) -> Detail:
    """The full view of an order from queries.order_detail."""
    del rules
    base = msgspec.structs.asdict(summary(o, now, cal))
    return Detail(
        **base,
        text=o["text"],
        attributes=msgspec.json.decode(o["attributes"]),
        has_voice=o["voice_ref"] is not None,
        has_photo=o["photo_ref"] is not None,
        filings=[
            Filing(
                receipt=f["receipt"],
                primary=bool(f["is_primary"]),
                created=cal.iso(f["created"]),
                node=f["node"],
                assisted_by=f["assisted_by"],
                contact=mask(f["contact"]),
                text=f["text"],
                withdrawn=f["withdrawn"] is not None,
            )
            for f in o["filings"]
        ],
        history=[
            HistoryEntry(
                at=cal.iso(h["at"]),
                actor=h["actor"],
                role=h["role"],
                action=h["action"],
                from_state=h["from_state"],
                to_state=h["to_state"],
                department=h["department"],
                note=h["note"],
            )
            for h in o["history"]
        ],
        ratings=[r["score"] for r in o["ratings"]],
        followups_open=sum(1 for t in o["tasks"] if t["state"] == "open"),
    )
