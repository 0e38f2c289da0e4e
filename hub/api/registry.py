"""Declared API operations: one place that routes, checks roles, decodes bodies and documents.

Each operation names its request and response types (msgspec Structs); the registry
decodes request bodies strictly (unknown fields are errors, 400 with the field named),
encodes responses, enforces the role, and builds the OpenAPI 3.0 document from the
same declarations, so the document cannot drift from the code.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from hub.api.auth import Principal, TokenAuth
from hub.api.errors import ApiError

MAX_BODY_BYTES = 1024 * 1024


class Role(enum.StrEnum):
    """Who may call an operation. ``admin`` may do everything ``read`` may."""

    PUBLIC = "public"
    READ = "read"
    ADMIN = "admin"


_RANK = {Role.PUBLIC: 0, Role.READ: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Query:
    """A documented query parameter."""

    name: str
    description: str
    type: str = "string"
    required: bool = False


OpHandler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    """One method on one path."""

    method: str
    path: str
    handler: OpHandler
    summary: str
    role: Role
    body: type[Any] | None
    response: Any
    status: int
    query: tuple[Query, ...]
    tags: tuple[str, ...]


PRINCIPAL = web.RequestKey("principal", Principal)


@dataclass
class Api:
    """Collects operations; ``mount`` adds them and ``/api/openapi.json`` to an app."""

    title: str = "cunlink hub API"
    version: str = "1"
    operations: list[Operation] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        role: Role = Role.READ,
        body: type[Any] | None = None,
        response: Any = None,
        status: int = 200,
        query: tuple[Query, ...] = (),
        tags: tuple[str, ...] = (),
    ) -> Callable[[OpHandler], OpHandler]:
        """Declare an operation. The handler gets ``(request)`` or ``(request, body)`` and returns
        a msgspec-encodable value (or a ``web.StreamResponse`` to answer itself)."""

        def add(handler: OpHandler) -> OpHandler:
            self.operations.append(
                Operation(method.upper(), path, handler, summary, role, body, response, status, query, tags)
            )
            return handler

        return add

    def mount(self, app: web.Application, auth: TokenAuth) -> None:
        """Register every operation on ``app`` behind role checks."""
        for op in self.operations:
            app.router.add_route(op.method, op.path, _wrap(op, auth))
        document = msgspec.json.encode(self.document())

        async def openapi(request: web.Request) -> web.Response:
            del request
            return web.Response(body=document, content_type="application/json")

        app.router.add_get("/api/openapi.json", openapi)

    def document(self) -> dict[str, Any]:
        """The OpenAPI 3.0.3 document of every declared operation."""
        types = [t for op in self.operations for t in (op.body, op.response) if t is not None]
        schemas, components = msgspec.json.schema_components(
            types, ref_template="#/components/schemas/{name}"
        )
        refs = dict(zip(types, schemas, strict=True))
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            entry: dict[str, Any] = {
                "summary": op.summary,
                "operationId": op.handler.__name__,
                "tags": list(op.tags),
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in _path_params(op.path)
                ]
                + [
                    {
                        "name": q.name,
                        "in": "query",
                        "required": q.required,
                        "description": q.description,
                        "schema": {"type": q.type},
                    }
                    for q in op.query
                ],
                "responses": _responses(op, refs),
            }
            if op.role is not Role.PUBLIC:
                entry["security"] = [{"bearer": []}]
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[op.body]}},
                }
            paths.setdefault(op.path, {})[op.method.lower()] = entry
        return {
            "openapi": "3.0.3",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "components": {
                "schemas": {**components, "Error": _ERROR_SCHEMA},
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }


_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
        }
    },
}


def _responses(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "success"}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": refs[op.response]}}
    error = {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    out: dict[str, Any] = {str(op.status): ok, "400": error, "404": error, "500": error}
    if op.role is not Role.PUBLIC:
        out["401"] = error
        out["403"] = error
    return out


def _path_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _wrap(op: Operation, auth: TokenAuth) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    decoder = msgspec.json.Decoder(op.body) if op.body is not None else None

    async def handle(request: web.Request) -> web.StreamResponse:
        principal = auth.identify(request)
        if op.role is not Role.PUBLIC:
            if principal is None:
                raise ApiError(401, "this endpoint needs 'Authorization: Bearer <token>'")
            if _RANK.get(Role(principal.role), 0) < _RANK[op.role]:
                raise ApiError(
                    403, f"needs the {op.role} role; token {principal.name!r} has {principal.role}"
                )
        if principal is not None:
            request[PRINCIPAL] = principal
        if decoder is None:
            result = await op.handler(request)
        else:
            if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
                raise ApiError(413, f"body larger than {MAX_BODY_BYTES} bytes")
            raw = await request.content.read(MAX_BODY_BYTES + 1)
            if len(raw) > MAX_BODY_BYTES:
                raise ApiError(413, f"body larger than {MAX_BODY_BYTES} bytes")
            try:
                body = decoder.decode(raw)
            except msgspec.ValidationError as exc:
                raise ApiError(400, f"invalid body: {exc}", code="invalid_body") from None
            except msgspec.DecodeError as exc:
                raise ApiError(400, f"body is not valid JSON: {exc}", code="invalid_json") from None
            result = await op.handler(request, body)
        if isinstance(result, web.StreamResponse):
            return result
        return web.Response(
            status=op.status, body=msgspec.json.encode(result), content_type="application/json"
        )

    handle.__name__ = op.handler.__name__
    return handle
