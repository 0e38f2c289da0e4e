"""CSV and JSON export of work orders: one schema for every department.

The paper behind cunlink names data silos (each department with its own forms) as a
failure of rural digital governance; so every department, and the city, export exactly
the same columns, in the same order, with codes and names side by side. Villagers'
phone numbers are masked: an export travels further than the console.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
import sqlite_utils

from hub.workorders.calendar import WorkCalendar
from hub.workorders.flow import STATE_LABELS, State
from hub.workorders.places import Places
from hub.workorders.queries import Filter, is_overdue, list_orders
from hub.workorders.rules import Rules


class ExportRow(msgspec.Struct, kw_only=True):
    """One work order in the shared export schema (field order is the CSV column order)."""

    receipt: str
    category: str
    category_name: str
    county: str
    county_name: str
    township: str
    township_name: str
    village: str
    village_name: str
    source: str
    state: str
    state_name: str
    department: str
    department_name: str
    created: str
    updated: str
    deadline: str
    overdue: bool
    resolved: str | None
    closed: str | None
    reopened: int
    seconds: int
    ratings: int
    rating_mean: float | None
    text: str
    has_voice: bool
    has_photo: bool
    contact: str | None


COLUMNS: tuple[str, ...] = ExportRow.__struct_fields__


def mask(contact: str | None) -> str | None:
    """138****5678."""
    if not contact:
        return None
    return f"{contact[:3]}****{contact[-4:]}" if len(contact) >= 8 else "****"


def export_rows(  # noqa: PLR0917 - the read context of one export
    db: sqlite_utils.Database, f: Filter, now: float, rules: Rules, calendar: WorkCalendar, places: Places
) -> list[ExportRow]:
    """Rows for ``f`` (its limit applies; page with offset)."""
    orders = list_orders(db, f, now)
    ids = [o["id"] for o in orders]
    stats: dict[int, tuple[int, float | None]] = {}
    contacts: dict[int, str | None] = {}
    if ids:
        marks = ",".join("?" * len(ids))
        for r in db.query(
            f"SELECT order_id, COUNT(*) AS n, AVG(score) AS mean FROM ratings"  # noqa: S608 - placeholders
            f" WHERE order_id IN ({marks}) AND withdrawn IS NULL GROUP BY order_id",
            ids,
        ):
            stats[r["order_id"]] = (r["n"], r["mean"])
        for r in db.query(
            f"SELECT order_id, contact FROM filings WHERE order_id IN ({marks}) AND is_primary = 1",  # noqa: S608
            ids,
        ):
            contacts[r["order_id"]] = r["contact"]
    return [_row(o, stats, contacts, now, rules, calendar, places) for o in orders]


def _row(  # noqa: PLR0917
    o: dict[str, Any],
    stats: dict[int, tuple[int, float | None]],
    contacts: dict[int, str | None],
    now: float,
    rules: Rules,
    calendar: WorkCalendar,
    places: Places,
) -> ExportRow:
    place = places.village(o["village"])
    category = rules.category(o["category"])
    count, mean = stats.get(o["id"], (0, None))
    return ExportRow(
        receipt=o["receipt"],
        category=o["category"],
        category_name=category.name if category else o["category"],
        county=o["county"],
        county_name=place.county_name if place else "",
        township=o["township"],
        township_name=place.township_name if place else "",
        village=o["village"],
        village_name=place.village_name if place else "",
        source=o["source"],
        state=o["state"],
        state_name=STATE_LABELS[State(o["state"])],
        department=o["department"],
        department_name=rules.department_name(o["department"]),
        created=calendar.iso(o["created"]),
        updated=calendar.iso(o["updated"]),
        deadline=calendar.iso(o["deadline"]),
        overdue=is_overdue(o, now),
        resolved=calendar.iso(o["first_resolved"]) if o["first_resolved"] else None,
        closed=calendar.iso(o["closed"]) if o["closed"] else None,
        reopened=o["reopened"],
        seconds=o["seconds"],
        ratings=count,
        rating_mean=round(mean, 2) if mean is not None else None,
        text=o["text"],
        has_voice=o["voice_ref"] is not None,
        has_photo=o["photo_ref"] is not None,
        contact=mask(contacts.get(o["id"])),
    )


def to_csv(rows: list[ExportRow]) -> bytes:
    """UTF-8 CSV with a BOM, so that spreadsheet programs on Chinese Windows read it right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = msgspec.to_builtins(row)
        writer.writerow(["" if values[c] is None else _cell(values[c]) for c in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A cell starting with = + - @ is a formula in spreadsheets (CSV injection); quote it inert.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
