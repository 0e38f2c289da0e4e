"""The work-order database (``workorders.db``): one migration per change, a backup before each.

Why these shapes:

- ``requests`` holds every transactional id a kiosk sent, once: the primary key
  ``(node, client_id)`` is what makes at-least-once MQTT delivery exactly-once.
- A work order has one or more ``filings``: the first villager's appeal and every 附议
  (a second on the same matter). Each filing has its own public receipt code that leads
  to the order, so every villager can look up "their" code at any kiosk.
- ``history`` is append-only, enforced by triggers: who did what, when, from which state.
- ``pushes`` remembers the last status sent (or still to send) to each kiosk per receipt,
  so a kiosk that was offline gets it after its next BIRTH.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("workorders")

_M001 = (
    """CREATE TABLE requests (
        node TEXT NOT NULL, client_id TEXT NOT NULL, kind TEXT NOT NULL,
        ts INTEGER NOT NULL, received REAL NOT NULL, assisted_by TEXT,
        status TEXT NOT NULL, receipt TEXT, detail TEXT NOT NULL DEFAULT '',
        ref INTEGER, withdrawn REAL,
        PRIMARY KEY (node, client_id))""",
    "CREATE INDEX requests_by_node ON requests(node, kind, ts)",
    "CREATE INDEX requests_by_helper ON requests(assisted_by, kind, ts) WHERE assisted_by IS NOT NULL",
    """CREATE TABLE orders (
        id INTEGER PRIMARY KEY, receipt TEXT NOT NULL UNIQUE, category TEXT NOT NULL,
        village TEXT NOT NULL, township TEXT NOT NULL, county TEXT NOT NULL,
        text TEXT NOT NULL, voice_ref TEXT, photo_ref TEXT, media_url TEXT,
        attributes TEXT NOT NULL DEFAULT '{}', source TEXT NOT NULL, node TEXT,
        state TEXT NOT NULL, department TEXT NOT NULL,
        created REAL NOT NULL, updated REAL NOT NULL, deadline REAL NOT NULL,
        first_resolved REAL, resolved REAL, closed REAL,
        reopened INTEGER NOT NULL DEFAULT 0, status_notes TEXT NOT NULL DEFAULT '',
        seconds INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX orders_similar ON orders(category, village, created)",
    "CREATE INDEX orders_queue ON orders(department, state)",
    "CREATE INDEX orders_created ON orders(created)",
    """CREATE TABLE filings (
        id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id),
        receipt TEXT NOT NULL UNIQUE, node TEXT, client_id TEXT,
        text TEXT NOT NULL DEFAULT '', contact TEXT, assisted_by TEXT,
        created REAL NOT NULL, is_primary INTEGER NOT NULL, withdrawn REAL)""",
    "CREATE INDEX filings_order ON filings(order_id)",
    """CREATE TABLE history (
        id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id),
        at REAL NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL,
        from_state TEXT, to_state TEXT NOT NULL, department TEXT, note TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX history_order ON history(order_id, id)",
    """CREATE TRIGGER history_no_update BEFORE UPDATE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
    """CREATE TRIGGER history_no_delete BEFORE DELETE ON history
        BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
    """CREATE TABLE pushes (
        node TEXT NOT NULL, receipt TEXT NOT NULL, status TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '', updated REAL NOT NULL, sent REAL,
        PRIMARY KEY (node, receipt))""",
    """CREATE TABLE ratings (
        id INTEGER PRIMARY KEY, node TEXT, client_id TEXT,
        target_kind TEXT NOT NULL, target_id TEXT NOT NULL, order_id INTEGER,
        score INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '',
        village TEXT, township TEXT, county TEXT, assisted_by TEXT,
        ts INTEGER NOT NULL, received REAL NOT NULL, withdrawn REAL)""",
    """CREATE UNIQUE INDEX ratings_once_per_receipt ON ratings(target_id)
        WHERE target_kind = 'work_order' AND withdrawn IS NULL""",
    """CREATE TABLE tasks (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, order_id INTEGER, rating_id INTEGER,
        department TEXT NOT NULL, village TEXT, created REAL NOT NULL, deadline REAL NOT NULL,
        state TEXT NOT NULL, done REAL, actor TEXT, note TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX tasks_queue ON tasks(department, state)",
    """CREATE TABLE items (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
        choices TEXT NOT NULL, scope TEXT NOT NULL, code TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL, created REAL NOT NULL, closed REAL, author TEXT NOT NULL)""",
    """CREATE TABLE votes (
        id INTEGER PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items(id), choice TEXT NOT NULL,
        voter_ref TEXT, node TEXT, client_id TEXT, village TEXT, township TEXT, county TEXT,
        assisted_by TEXT, ts INTEGER NOT NULL, received REAL NOT NULL, withdrawn REAL)""",
    """CREATE UNIQUE INDEX votes_once_per_person ON votes(item_id, voter_ref)
        WHERE voter_ref IS NOT NULL AND withdrawn IS NULL""",
    """CREATE TABLE helpcalls (
        id INTEGER PRIMARY KEY, node TEXT NOT NULL, village TEXT NOT NULL, reason TEXT NOT NULL,
        assisted_by TEXT, ts INTEGER NOT NULL, received REAL NOT NULL, withdrawn REAL)""",
    """CREATE TABLE content (
        kind TEXT NOT NULL, scope TEXT NOT NULL, code TEXT NOT NULL DEFAULT '',
        revision INTEGER NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL,
        withdrawn INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL, author TEXT NOT NULL,
        PRIMARY KEY (kind, scope, code))""",
    """CREATE TABLE content_history (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL, code TEXT NOT NULL,
        revision INTEGER NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL,
        withdrawn INTEGER NOT NULL, at REAL NOT NULL, author TEXT NOT NULL)""",
    """CREATE TABLE staff (
        username TEXT PRIMARY KEY, name TEXT NOT NULL, department TEXT NOT NULL,
        role TEXT NOT NULL, password TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,
        created REAL NOT NULL)""",
    """CREATE TABLE sessions (
        token TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES staff(username),
        csrf TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL)""",
    """CREATE TABLE helpers (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, code TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1, created REAL NOT NULL)""",
    """CREATE TABLE usage (
        node TEXT NOT NULL, ts INTEGER NOT NULL, event TEXT NOT NULL,
        village TEXT NOT NULL DEFAULT '', township TEXT NOT NULL DEFAULT '',
        county TEXT NOT NULL DEFAULT '', duration_s REAL, services INTEGER NOT NULL DEFAULT 0,
        assisted INTEGER NOT NULL DEFAULT 0, elder INTEGER NOT NULL DEFAULT 0,
        received REAL NOT NULL, PRIMARY KEY (node, ts, event))""",
    """CREATE TABLE open311_tokens (
        token TEXT PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id), created REAL NOT NULL)""",
)


@migrations(name="m001_initial")
def m001_initial(db: sqlite_utils.Database) -> None:
    """Every table of the first release."""
    # One statement at a time: executescript() would COMMIT the migration's transaction.
    for statement in _M001:
        db.execute(statement)


_M002 = (
    """CREATE TABLE media_chunks (
        ref TEXT NOT NULL, chunk INTEGER NOT NULL, node TEXT NOT NULL, media TEXT NOT NULL,
        mime TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, chunks INTEGER NOT NULL,
        data BLOB NOT NULL, received REAL NOT NULL, PRIMARY KEY (ref, chunk))""",
    """CREATE TABLE media (
        ref TEXT PRIMARY KEY, node TEXT NOT NULL, media TEXT NOT NULL, mime TEXT NOT NULL,
        size INTEGER NOT NULL, sha256 TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL)""",
)


@migrations(name="m002_media")
def m002_media(db: sqlite_utils.Database) -> None:
    """Voice notes and photos sent by kiosks in MediaChunks: the pieces, then the whole file.

    A file is attached to a work order by its ref (``orders.voice_ref``/``photo_ref``), so it
    may arrive before or after the appeal that names it.
    """
    for statement in _M002:
        db.execute(statement)


_M003 = (
    # Who was picked, told and came for each help call (hub/helpcalls/).
    "ALTER TABLE helpcalls ADD COLUMN client_id TEXT",
    "ALTER TABLE helpcalls ADD COLUMN township TEXT",
    "ALTER TABLE helpcalls ADD COLUMN county TEXT",
    "ALTER TABLE helpcalls ADD COLUMN state TEXT NOT NULL DEFAULT 'open'",
    "ALTER TABLE helpcalls ADD COLUMN duty_level TEXT NOT NULL DEFAULT 'none'",
    "ALTER TABLE helpcalls ADD COLUMN duty_name TEXT",
    "ALTER TABLE helpcalls ADD COLUMN help_phone TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE helpcalls ADD COLUMN notified REAL",
    "ALTER TABLE helpcalls ADD COLUMN acknowledged REAL",
    "ALTER TABLE helpcalls ADD COLUMN acknowledged_by TEXT",
    "ALTER TABLE helpcalls ADD COLUMN arrived REAL",
    "ALTER TABLE helpcalls ADD COLUMN closed REAL",
    "ALTER TABLE helpcalls ADD COLUMN closed_by TEXT",
    "ALTER TABLE helpcalls ADD COLUMN escalated REAL",
    # Calls stored before nobody was ever notified of them; opening them now would page
    # today's duty cadre about last month's calls, so they are closed, and say why.
    "UPDATE helpcalls SET state = 'closed', closed = received, closed_by = 'system:before-roster'",
    "CREATE INDEX helpcalls_open ON helpcalls(state, received)",
    """CREATE TABLE helpcall_notices (
        id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL REFERENCES helpcalls(id),
        reason TEXT NOT NULL, level TEXT NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL,
        created REAL NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_try REAL NOT NULL, sent REAL, last_error TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX helpcall_notices_due ON helpcall_notices(state, next_try)",
    """CREATE TABLE helpcall_events (
        id INTEGER PRIMARY KEY, call_id INTEGER NOT NULL REFERENCES helpcalls(id),
        at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX helpcall_events_call ON helpcall_events(call_id, id)",
    """CREATE TRIGGER helpcall_events_no_update BEFORE UPDATE ON helpcall_events
        BEGIN SELECT RAISE(ABORT, 'helpcall_events is append-only'); END""",
    """CREATE TRIGGER helpcall_events_no_delete BEFORE DELETE ON helpcall_events
        BEGIN SELECT RAISE(ABORT, 'helpcall_events is append-only'); END""",
)


@migrations(name="m003_helpcalls")
def m003_helpcalls(db: sqlite_utils.Database) -> None:
    """Help calls reach a person: who was on duty, the notices to deliver, and an audit trail."""
    for statement in _M003:
        db.execute(statement)
