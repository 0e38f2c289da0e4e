"""Console sign-in, sessions and CSRF protection.

- Sessions are random tokens in an HttpOnly, SameSite=Strict cookie scoped to /console/
  (Secure when the hub is configured as served over HTTPS); only their hash is stored.
- Every form that changes something carries the session's CSRF token, compared in
  constant time; a request whose Origin names another site is refused as well. SameSite
  alone is not enough on old browsers, which village offices keep for years.
- The sign-in form is protected by a double-submit token (a cookie and a hidden field must
  match), so another site cannot sign a handler into an account of its choosing.
- Five wrong passwords for one account lock it for a minute, so guessing is slow.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from hub import keys
from hub.workorders import accounts
from hub.workorders.accounts import Staff

SESSION_COOKIE = "cl_console"
LOGIN_COOKIE = "cl_login"
PATH = "/console/"
MAX_FAILURES = 5
LOCKOUT_SECONDS = 60.0

STAFF = web.RequestKey("staff", Staff)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Throttle:
    """Failed sign-ins per account; monotonic time so a clock step cannot unlock early."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}

    def locked(self, username: str) -> bool:
        count, until = self._failures.get(username, (0, 0.0))
        return count >= MAX_FAILURES and time.monotonic() < until

    def failed(self, username: str) -> None:
        count, _ = self._failures.get(username, (0, 0.0))
        if count >= MAX_FAILURES:
            count = 0  # the lock expired: start counting again
        self._failures[username] = (count + 1, time.monotonic() + LOCKOUT_SECONDS)
        if len(self._failures) > 10_000:  # never grow without bound under a spray of names
            self._failures.clear()

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)


THROTTLE = web.AppKey("console_throttle", Throttle)


def same_origin(request: web.Request) -> bool:
    """False only when the browser says the form came from another origin."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.host


def set_cookie(
    response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int
) -> None:
    """A console cookie with the flags that matter."""
    secure = request.app[keys.WORKORDERS].settings.cookie_secure
    response.set_cookie(
        name, value, max_age=max_age, path=PATH, httponly=True, samesite="Strict", secure=secure
    )


async def current_staff(request: web.Request) -> Staff | None:
    """Who is signed in, if anyone."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    wo = request.app[keys.WORKORDERS]
    now = wo.clock()
    return await wo.store.read(lambda db: accounts.session_staff(db, token, now))


def signed_in(handler: Handler) -> Handler:
    """Redirect to sign-in without a live session; check CSRF and Origin on POST."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        staff = await current_staff(request)
        if staff is None:
            raise web.HTTPSeeOther("/console/login")
        if request.method == "POST":
            form = await request.post()
            given = str(form.get("csrf", ""))
            if not same_origin(request) or not hmac.compare_digest(given.encode(), staff.csrf.encode()):
                raise web.HTTPForbidden(text="表单已过期或来源不明，请刷新页面后重试。")
        request[STAFF] = staff
        return await handler(request)

    return wrapped


async def check_password(request: web.Request, username: str, password: str) -> Staff | None:
    """The account if the password is right (and the account not locked)."""
    throttle = request.app[THROTTLE]
    if throttle.locked(username):
        return None
    wo = request.app[keys.WORKORDERS]
    found = await wo.store.read(lambda db: accounts.password_of(db, username))
    # Hash even for unknown names, so timing does not tell which accounts exist.
    stored = found[1] if found is not None else _dummy_hash()
    ok = await asyncio.to_thread(accounts.verify_password, password, stored)
    if not ok or found is None:
        throttle.failed(username)
        return None
    throttle.succeeded(username)
    return found[0]


def login_token() -> str:
    """A fresh double-submit token for the sign-in form."""
    return secrets.token_urlsafe(24)


@functools.cache
def _dummy_hash() -> str:
    return accounts.hash_password(secrets.token_urlsafe(16))
