"""Help calls in workorders.db: record, pick the duty cadre, queue notices, acknowledge, close.

Every function runs inside the caller's transaction (the store's writer thread) and
raises :class:`Reject` (changing nothing) for what is not allowed. Each step a person
takes is written to the append-only ``helpcall_events`` table: who, what, when.

A call's life: ``open`` (the duty cadre is being told) -> ``acknowledged`` (a cadre or
the office confirmed in the console) -> ``arrived`` (someone is with the villager) ->
``closed``. A notice is a row in ``helpcall_notices`` until the notifier delivered it;
nothing is lost on a crash because the call and its notice commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from contract import payloads as p
from hub.helpcalls.roster import Level, Roster
from hub.workorders.orders import Reject
from hub.workorders.places import Place

STATES = ("open", "acknowledged", "arrived", "closed")
#: Console action -> (states it may start from, the new state).
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": (("open",), "acknowledged"),
    "arrive": (("open", "acknowledged"), "arrived"),
    "close": (("open", "acknowledged", "arrived"), "closed"),
}
ACTION_LABELS = {"acknowledge": "确认", "arrive": "已到场", "close": "关闭"}
#: The event action recording what the calling kiosk is to show: note ``"<status> <name>"``.
KIOSK_STATUS = "kiosk_status"


@dataclass(frozen=True, slots=True)
class Recorded:
    """What intake tells the kiosk about a stored help call."""

    call_id: int
    detail: str
    result: dict[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice due for delivery, with what the message needs."""

    id: int
    call_id: int
    reason: str
    level: str
    name: str
    phone: str
    attempts: int
    call: dict[str, Any]


def record(  # noqa: PLR0917 - the fields of one call
    db: sqlite_utils.Database,
    roster: Roster,
    body: p.HelpCall,
    place: Place,
    node: str,
    client_id: str,
    assisted_by: str | None,
    ts: int,
    now: float,
) -> Recorded:
    """Store a call, pick who is on duty and queue their notice; the kiosk's answer."""
    level, cadre = roster.pick(place.village, place.township, now)
    phone = roster.phone_for(place.village, place.township)
    cursor = db.execute(
        "INSERT INTO helpcalls (node, village, reason, assisted_by, ts, received, client_id, township,"
        " county, state, duty_level, duty_name, help_phone) VALUES (?,?,?,?,?,?,?,?,?,'open',?,?,?)",
        [
            node,
            place.village,
            body.reason,
            assisted_by,
            ts,
            now,
            client_id,
            place.township,
            place.county,
            level,
            None if cadre is None else cadre.name,
            phone,
        ],
    )
    call_id = int(cursor.lastrowid or 0)
    result = _result(call_id, level, None if cadre is None else cadre.name, phone)
    if cadre is None:
        event(db, call_id, now, f"kiosk:{node}", "call", "没有人值班，未能通知")
        detail = "nobody_on_duty: 现在没有村干部值班" + (f"，请拨打 {phone}" if phone else "")
        return Recorded(call_id, detail, result)
    queue_notice(db, call_id, "call", level, cadre.name, cadre.phone, now)
    event(db, call_id, now, f"kiosk:{node}", "call", f"通知值班{_who(level)}{cadre.name}")
    return Recorded(call_id, f"notifying: 正在通知值班{_who(level)}{cadre.name}", result)


def _result(
    call_id: int, level: str, name: str | None, phone: str
) -> dict[str, str | int | float | bool | None]:
    result: dict[str, str | int | float | bool | None] = {"helpcall": call_id, "duty": level}
    if name is None:
        result["phone"] = phone
    else:
        result["name"] = name
    return result


def answer(db: sqlite_utils.Database, call_id: int) -> dict[str, str | int | float | bool | None]:
    """The Reply ``result`` the call got when it was stored, rebuilt for a re-sent request.

    A kiosk re-sends when the first Reply was lost; answering ``duplicate`` without the
    cadre's name would make it say "值班村干部" instead of "王书记".
    """
    call = find(db, call_id)
    if call is None:
        return {}
    return _result(call_id, call["duty_level"], call["duty_name"], call["help_phone"])


def _who(level: Level | str) -> str:
    return "乡镇干部" if level == "township" else "村干部"


def queue_notice(  # noqa: PLR0917 - the fields of one row
    db: sqlite_utils.Database, call_id: int, reason: str, level: str, name: str, phone: str, now: float
) -> None:
    """Add a notice for the notifier to deliver (it keeps trying until it is delivered)."""
    db.execute(
        "INSERT INTO helpcall_notices (call_id, reason, level, name, phone, created, state, next_try)"
        " VALUES (?,?,?,?,?,?,'pending',?)",
        [call_id, reason, level, name, phone, now, now],
    )


def event(  # noqa: PLR0917 - the fields of one row
    db: sqlite_utils.Database, call_id: int, at: float, actor: str, action: str, note: str = ""
) -> None:
    """Append one line to the call's audit trail."""
    db.execute(
        "INSERT INTO helpcall_events (call_id, at, actor, action, note) VALUES (?,?,?,?,?)",
        [call_id, at, actor, action, note],
    )


def withdraw(db: sqlite_utils.Database, call_id: int, node: str, now: float) -> None:
    """The kiosk took the call back (undo): close it and stop notifying."""
    db.execute(
        "UPDATE helpcalls SET withdrawn = ?, state = 'closed', closed = ?, closed_by = ? WHERE id = ?",
        [now, now, f"kiosk:{node}", call_id],
    )
    db.execute(
        "UPDATE helpcall_notices SET state = 'cancelled' WHERE call_id = ? AND state = 'pending'", [call_id]
    )
    event(db, call_id, now, f"kiosk:{node}", "withdraw", "村民撤回了求助")


def move(  # noqa: PLR0917 - the fields of one action
    db: sqlite_utils.Database,
    call_id: int,
    action: str,
    actor: str,
    note: str,
    now: float,
    coming: str = "",
) -> dict[str, Any]:
    """Apply a console action; returns the updated call.

    ``coming`` is who goes to the villager (default: whoever the kiosk was last told of,
    else the duty cadre); acknowledge and arrive record it as the call's kiosk status,
    and the returned call carries it as ``kiosk_name``.
    """
    if action not in MOVES:
        raise Reject("unknown_action", f"没有“{action}”这个操作")
    call = find(db, call_id)
    if call is None:
        raise Reject("unknown_call", "没有这个求助")
    allowed, to = MOVES[action]
    if call["state"] not in allowed:
        now_label, label = STATE_LABELS[call["state"]], ACTION_LABELS[action]
        raise Reject("bad_state", f"这个求助已经是“{now_label}”，不能再{label}")
    sets: dict[str, Any] = {"state": to}
    if action == "acknowledge" or call["acknowledged"] is None:
        sets |= {"acknowledged": now, "acknowledged_by": actor}
    if action == "arrive":
        sets["arrived"] = now
    if action == "close":
        sets |= {"closed": now, "closed_by": actor}
    # Someone has taken the call: a notice still waiting would page a cadre for nothing.
    db.execute(
        "UPDATE helpcall_notices SET state = 'cancelled' WHERE call_id = ? AND state = 'pending'",
        [call_id],
    )
    db.execute(
        f"UPDATE helpcalls SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",  # noqa: S608 - fixed keys
        [*sets.values(), call_id],
    )
    event(db, call_id, now, actor, action, note.strip()[:500])
    name = ""
    if action in {"acknowledge", "arrive"}:
        # 已到场 has no "谁去" field: it is the person named at 确认 who arrived.
        name = coming or _last_name(db, call_id) or call["duty_name"] or ""
        kiosk_status(db, call_id, now, to, name)
    fresh = find(db, call_id)
    assert fresh is not None
    return {**fresh, "kiosk_name": name}


def _last_name(db: sqlite_utils.Database, call_id: int) -> str:
    rows = list(
        db.query(
            "SELECT note FROM helpcall_events WHERE call_id = ? AND action = ? ORDER BY id DESC LIMIT 1",
            [call_id, KIOSK_STATUS],
        )
    )
    return rows[0]["note"].partition(" ")[2] if rows else ""


STATE_LABELS = {"open": "待确认", "acknowledged": "已确认", "arrived": "已到场", "closed": "已关闭"}


def find(db: sqlite_utils.Database, call_id: int) -> dict[str, Any] | None:
    """One call by id."""
    rows = list(db.query("SELECT * FROM helpcalls WHERE id = ?", [call_id]))
    return rows[0] if rows else None


def kiosk_status(db: sqlite_utils.Database, call_id: int, now: float, status: str, name: str) -> None:
    """Record what the calling kiosk is to show (CMD help_status), sent now or after its BIRTH.

    Written in the transaction that made it true, so a status the kiosk missed while it
    was offline (or the hub restarted) is still known when the kiosk comes back.
    """
    event(db, call_id, now, "system", KIOSK_STATUS, f"{status} {name}")


def kiosk_statuses(db: sqlite_utils.Database, node: str, since: float) -> list[tuple[str, str, str]]:
    """(request id, status, name): the latest kiosk status of each open call made at ``node``
    since ``since``, oldest call first."""
    rows = db.query(
        "SELECT c.client_id, e.note FROM helpcalls c JOIN helpcall_events e ON e.id = ("
        " SELECT MAX(id) FROM helpcall_events WHERE call_id = c.id AND action = ?)"
        " WHERE c.node = ? AND c.state != 'closed' AND c.received >= ? AND c.client_id IS NOT NULL"
        " ORDER BY c.id",
        [KIOSK_STATUS, node, since],
    )
    out = []
    for row in rows:
        status, _, name = row["note"].partition(" ")
        out.append((row["client_id"], status, name))
    return out


def open_calls(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Calls not closed yet, oldest first, with their notices."""
    calls = list(db.query("SELECT * FROM helpcalls WHERE state != 'closed' ORDER BY received, id"))
    ids = [c["id"] for c in calls]
    notices: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        marks = ",".join("?" * len(ids))
        for n in db.query(
            f"SELECT * FROM helpcall_notices WHERE call_id IN ({marks}) ORDER BY id",  # noqa: S608
            ids,
        ):
            notices[n["call_id"]].append(n)
    return [{**c, "notices": notices[c["id"]]} for c in calls]


def events(db: sqlite_utils.Database, call_id: int) -> list[dict[str, Any]]:
    """A call's audit trail, oldest first."""
    return list(db.query("SELECT * FROM helpcall_events WHERE call_id = ? ORDER BY id", [call_id]))


# -- what the notifier loop uses ------------------------------------------------------------


def due_notices(db: sqlite_utils.Database, now: float, limit: int = 20) -> list[Notice]:
    """Pending notices whose time has come, oldest first."""
    rows = db.query(
        "SELECT n.*, c.node AS c_node, c.village AS c_village, c.township AS c_township,"
        " c.county AS c_county, c.received AS c_received, c.client_id AS c_client_id"
        " FROM helpcall_notices n JOIN helpcalls c ON c.id = n.call_id"
        " WHERE n.state = 'pending' AND n.next_try <= ? ORDER BY n.next_try, n.id LIMIT ?",
        [now, limit],
    )
    return [
        Notice(
            r["id"],
            r["call_id"],
            r["reason"],
            r["level"],
            r["name"],
            r["phone"],
            r["attempts"],
            {k[2:]: v for k, v in r.items() if k.startswith("c_")},
        )
        for r in rows
    ]


def delivered(db: sqlite_utils.Database, notice: Notice, now: float) -> bool:
    """Mark a notice sent; True when it was the call's first delivered notice (tell the kiosk)."""
    db.execute(
        "UPDATE helpcall_notices SET state = 'sent', sent = ?, attempts = attempts + 1, last_error = ''"
        " WHERE id = ?",
        [now, notice.id],
    )
    first = db.execute(
        "UPDATE helpcalls SET notified = ? WHERE id = ? AND notified IS NULL", [now, notice.call_id]
    ).rowcount
    event(db, notice.call_id, now, "system", "notified", f"已通知{notice.name}（{notice.reason}）")
    if first:
        kiosk_status(db, notice.call_id, now, "notified", notice.name)
    return bool(first)


def failed(db: sqlite_utils.Database, notice: Notice, reason: str, retry_at: float) -> None:
    """Keep a notice for another try at ``retry_at``."""
    db.execute(
        "UPDATE helpcall_notices SET attempts = attempts + 1, last_error = ?, next_try = ? WHERE id = ?",
        [reason, retry_at, notice.id],
    )


def escalation_due(db: sqlite_utils.Database, now: float, after: float) -> bool:
    """Whether :func:`escalate` has anything to do (a read, so idle rounds write nothing)."""
    return bool(
        list(
            db.query(
                "SELECT 1 FROM helpcalls WHERE state = 'open' AND escalated IS NULL AND received <= ?"
                " LIMIT 1",
                [now - after],
            )
        )
    )


def escalate(db: sqlite_utils.Database, roster: Roster, now: float, after: float) -> list[int]:
    """Send unacknowledged calls older than ``after`` seconds to the township duty cadre.

    Each call escalates once; a call whose village cadre was the township's anyway, or
    whose township has nobody on duty, is still marked (and says so in its trail) so the
    console shows it overdue without paging anyone twice.
    """
    escalated = []
    for call in list(
        db.query(
            "SELECT * FROM helpcalls WHERE state = 'open' AND escalated IS NULL AND received <= ?",
            [now - after],
        )
    ):
        cadre = roster.on_duty("township", call["township"], now)
        db.execute("UPDATE helpcalls SET escalated = ? WHERE id = ?", [now, call["id"]])
        if cadre is None or (call["duty_level"] == "township" and cadre.name == call["duty_name"]):
            event(db, call["id"], now, "system", "escalate", "超时未确认，乡镇没有其他值班干部可通知")
            continue
        queue_notice(db, call["id"], "escalation", "township", cadre.name, cadre.phone, now)
        event(db, call["id"], now, "system", "escalate", f"超时未确认，转乡镇值班干部{cadre.name}")
        escalated.append(call["id"])
    return escalated
