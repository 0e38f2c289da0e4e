"""JSON errors for every API response, whatever went wrong.

Clients (other departments' systems, scripts, the console) get one shape:
``{"error": {"code": "...", "message": "...", "details": ...}}`` with a fitting
HTTP status; a bug is a 500 with a generic message, logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

log = logging.getLogger(__name__)

#: Path prefixes whose errors are JSON (the rest of the site keeps aiohttp's defaults).
JSON_PREFIXES: tuple[str, ...] = ("/api/",)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


class ApiError(Exception):
    """An error to send to the client as JSON."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details

    def response(self) -> web.Response:
        """The JSON response for this error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return web.Response(
            status=self.status, body=msgspec.json.encode({"error": body}), content_type="application/json"
        )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure under the API prefixes into a JSON error."""
    if not request.path.startswith(JSON_PREFIXES):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return ApiError(exc.status, exc.reason or exc.text or "error").response()
    except Exception:
        log.exception("API handler failed: %s %s", request.method, request.path)
        return ApiError(500, "internal error; the hub's log has the details", code="internal").response()
