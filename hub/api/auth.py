"""Bearer tokens with roles for the API.

Tokens come from the config file (secrets: inline, ``env:`` or ``file:``). A token's
role is ``read`` (GET endpoints) or ``admin`` (everything). Comparison is constant-time
so that response timing does not leak a token.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import hdrs, web

from hub.api.errors import ApiError


@dataclass(frozen=True)
class Principal:
    """Who made a request."""

    name: str
    role: str


class TokenAuth:
    """Maps bearer tokens to principals."""

    def __init__(self, tokens: Iterable[tuple[str, str, str]]) -> None:
        """``tokens``: (name, token, role) triples."""
        self._tokens = [(token.encode(), Principal(name, role)) for name, token, role in tokens]

    def identify(self, request: web.Request) -> Principal | None:
        """The principal of a request, None when it carries no token."""
        header = request.headers.get(hdrs.AUTHORIZATION, "")
        scheme, _, given = header.partition(" ")
        if not header:
            return None
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, "use 'Authorization: Bearer <token>'")
        candidate = given.strip().encode()
        found: Principal | None = None
        for token, principal in self._tokens:
            # Check every token, not just until the first match, to keep timing flat.
            if hmac.compare_digest(token, candidate):
                found = principal
        if found is None:
            raise ApiError(401, "unknown token")
        return found
