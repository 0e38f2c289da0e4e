"""Query and path parameters checked up front, so bad input is a 400 naming the parameter, never a 500."""

from __future__ import annotations

from collections.abc import Collection

from aiohttp import web

from hub.api.errors import ApiError
from hub.api.registry import Query

LIMIT = Query("limit", "Most items to return (1-5000, default 500).", type="integer")
OFFSET = Query("offset", "Items to skip, for paging (default 0).", type="integer")


def integer(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter within [lo, hi]."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, not {raw[:40]!r}", code="invalid_query") from None
    if not lo <= value <= hi:
        raise ApiError(400, f"{name} must be between {lo} and {hi}", code="invalid_query")
    return value


def choice(
    request: web.Request, name: str, allowed: Collection[str], default: str | None = None
) -> str | None:
    """A query parameter from a fixed vocabulary (None when absent and no default)."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise ApiError(400, f"{name} must be one of {', '.join(sorted(allowed))}", code="invalid_query")
    return raw


def text(request: web.Request, name: str) -> str | None:
    """A free-text filter (compared for equality only; never interpreted)."""
    raw = request.query.get(name)
    return raw or None


def page(request: web.Request) -> tuple[int, int]:
    """``limit`` and ``offset``."""
    return integer(request, "limit", 500, 1, 5000), integer(request, "offset", 0, 0, 10_000_000)
