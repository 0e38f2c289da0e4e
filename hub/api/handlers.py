"""The shape the API's acting handlers share: look up, 404 if missing, act as the caller, refuse.

A handler looks something up (:func:`found` turns "nothing there" into a 404), acts
on it in the name of the calling token (:func:`caller`, recorded in the domain's
audit trail), and turns the domain's refusals into JSON errors (:func:`refusing`).
The domain modules (hub/rollouts, hub/workorders, hub/content) know nothing of HTTP;
this is the one place their exceptions meet status codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from aiohttp import web

from hub.api.errors import ApiError
from hub.api.registry import PRINCIPAL

T = TypeVar("T")
E = TypeVar("E", bound=Exception)


def caller(request: web.Request) -> str | None:
    """The name of the token that made the request, for the audit trail (None when anonymous)."""
    principal = request.get(PRINCIPAL)
    return None if principal is None else principal.name


def found(value: T | None, message: str) -> T:
    """``value``, or a 404 with ``message`` when the lookup found nothing."""
    if value is None:
        raise ApiError(404, message)
    return value


@contextmanager
def refusing(
    kind: type[E],
    status: int | Callable[[E], int],
    *,
    code: str | Callable[[E], str] | None = None,
    message: Callable[[E], str] = str,
) -> Iterator[None]:
    """Run the block; a ``kind`` raised in it becomes an :class:`ApiError`.

    ``status``, ``code`` and ``message`` are fixed or read from the exception (by default the
    message is ``str(exc)`` and the code follows the status). Stack several in one ``with``
    for several kinds; the exception's own traceback is dropped, it is a refusal, not a bug.
    """
    try:
        yield
    except kind as exc:
        raise ApiError(
            status if isinstance(status, int) else status(exc),
            message(exc),
            code=code if code is None or isinstance(code, str) else code(exc),
        ) from None
