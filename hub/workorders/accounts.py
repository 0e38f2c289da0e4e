"""People the hub knows: department staff of the console, and village helpers (代办员).

Passwords are stored as scrypt hashes (hashlib, no extra dependency) with a random salt
and the cost parameters in the string, so the cost can be raised later without breaking
old hashes. Console sessions are random tokens; only their SHA-256 is stored, so a copy
of the database does not let anyone sign in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

from hub.workorders.orders import Reject

StaffRole = Literal["handler", "dispatcher"]

# scrypt cost: 16 MiB and ~50 ms per check on a 2-core box; slows offline guessing without
# making sign-in sluggish.
_N, _R, _P, _LEN = 2**14, 8, 1, 32
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN, maxmem=64 * 1024 * 1024
    )
    return "$".join(
        [
            "scrypt",
            str(_N),
            str(_R),
            str(_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        ]
    )


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash; False for any malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True, slots=True)
class Staff:
    """A signed-in (or signing-in) console user."""

    username: str
    name: str
    department: str
    role: StaffRole
    csrf: str = ""


def save_staff(  # noqa: PLR0917 - the columns of one account
    db: sqlite_utils.Database,
    username: str,
    name: str,
    department: str,
    role: StaffRole,
    password_hash: str,
    now: float,
    *,
    active: bool = True,
) -> None:
    """Create an account, or replace its details and password."""
    db.execute(
        "INSERT INTO staff (username, name, department, role, password, active, created)"
        " VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT (username) DO UPDATE SET name = excluded.name, department = excluded.department,"
        " role = excluded.role, password = excluded.password, active = excluded.active",
        [username, name, department, role, password_hash, int(active), now],
    )
    if not active:
        db.execute("DELETE FROM sessions WHERE username = ?", [username])


def password_of(db: sqlite_utils.Database, username: str) -> tuple[Staff, str] | None:
    """An active account and its stored hash."""
    rows = list(db.query("SELECT * FROM staff WHERE username = ? AND active = 1", [username]))
    if not rows:
        return None
    r = rows[0]
    return Staff(r["username"], r["name"], r["department"], r["role"]), r["password"]


def list_staff(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every account, without hashes."""
    return list(
        db.query("SELECT username, name, department, role, active, created FROM staff ORDER BY username")
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: sqlite_utils.Database, username: str, now: float, hours: float) -> tuple[str, str]:
    """A new session: (cookie token, CSRF token). Expired sessions are swept on the way."""
    db.execute("DELETE FROM sessions WHERE expires < ?", [now])
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.execute(
        "INSERT INTO sessions (token, username, csrf, created, expires) VALUES (?,?,?,?,?)",
        [_digest(token), username, csrf, now, now + hours * 3600],
    )
    return token, csrf


def session_staff(db: sqlite_utils.Database, token: str, now: float) -> Staff | None:
    """Who holds this session cookie, if it is live and the account is still active."""
    rows = list(
        db.query(
            "SELECT s.csrf, st.* FROM sessions s JOIN staff st ON st.username = s.username"
            " WHERE s.token = ? AND s.expires > ? AND st.active = 1",
            [_digest(token), now],
        )
    )
    if not rows:
        return None
    r = rows[0]
    return Staff(r["username"], r["name"], r["department"], r["role"], r["csrf"])


def close_session(db: sqlite_utils.Database, token: str) -> None:
    """Sign out."""
    db.execute("DELETE FROM sessions WHERE token = ?", [_digest(token)])


def save_helper(  # noqa: PLR0917 - the columns of one helper
    db: sqlite_utils.Database,
    helper_id: str,
    name: str,
    scope: str,
    code: str,
    now: float,
    *,
    active: bool = True,
) -> None:
    """Register (or update) a village helper whose staff id kiosks send as ``assisted_by``."""
    if scope not in ("all", "county", "township", "village"):
        raise Reject("bad_scope", f"unknown scope {scope!r}")
    if (scope == "all") != (code == ""):
        raise Reject("bad_scope", "scope 'all' takes no code; the others need one")
    db.execute(
        "INSERT INTO helpers (id, name, scope, code, active, created) VALUES (?,?,?,?,?,?)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, scope = excluded.scope, code = excluded.code,"
        " active = excluded.active",
        [helper_id, name, scope, code, int(active), now],
    )


def list_helpers(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every registered helper."""
    return list(db.query("SELECT * FROM helpers ORDER BY id"))
