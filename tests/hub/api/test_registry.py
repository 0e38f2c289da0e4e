"""The API machinery: roles, JSON errors, strict bodies, and an OpenAPI document that matches."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.api.auth import TokenAuth
from hub.api.errors import json_errors
from hub.api.registry import Api, Query, Role


class Thing(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    size: int = msgspec.field(default=1)


def make_api() -> Api:
    api = Api()

    @api.route(
        "GET",
        "/api/v1/things/{thing_id}",
        summary="one",
        role=Role.READ,
        response=Thing,
        query=(Query("verbose", "more detail", type="boolean"),),
    )
    async def get_thing(request: web.Request) -> Thing:
        if request.match_info["thing_id"] == "missing":
            raise web.HTTPNotFound(reason="no such thing")
        return Thing(name=request.match_info["thing_id"])

    @api.route(
        "POST", "/api/v1/things", summary="make", role=Role.ADMIN, body=Thing, response=Thing, status=201
    )
    async def make_thing(request: web.Request, body: Thing) -> Thing:
        del request
        return Thing(name=body.name, size=body.size * 2)

    @api.route("GET", "/api/v1/boom", summary="a bug", role=Role.PUBLIC)
    async def boom(request: web.Request) -> None:
        raise RuntimeError("secret internals")

    return api


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(middlewares=[json_errors])
    make_api().mount(app, TokenAuth([("ops", "read-token-123", "read"), ("it", "admin-token-456", "admin")]))
    async with TestClient(TestServer(app)) as c:
        yield c


READ = {"Authorization": "Bearer read-token-123"}
ADMIN = {"Authorization": "Bearer admin-token-456"}


async def _error(resp: object) -> tuple[int, str, str]:
    body = await resp.json()  # type: ignore[attr-defined]
    return resp.status, body["error"]["code"], body["error"]["message"]  # type: ignore[attr-defined]


async def test_roles(client: TestClient[web.Request, web.Application]) -> None:
    assert (await client.get("/api/v1/things/a")).status == 401
    assert (await client.get("/api/v1/things/a", headers=READ)).status == 200
    status, code, message = await _error(
        await client.post("/api/v1/things", json={"name": "x"}, headers=READ)
    )
    assert (status, code) == (403, "forbidden")
    assert "admin" in message
    assert "ops" in message
    resp = await client.post("/api/v1/things", json={"name": "x", "size": 2}, headers=ADMIN)
    assert resp.status == 201
    assert await resp.json() == {"name": "x", "size": 4}


async def test_bad_tokens(client: TestClient[web.Request, web.Application]) -> None:
    bad = await client.get("/api/v1/things/a", headers={"Authorization": "Bearer nope"})
    assert await _error(bad) == (401, "unauthorized", "unknown token")
    basic = await client.get("/api/v1/things/a", headers={"Authorization": "Basic abc"})
    assert (await _error(basic))[0] == 401


async def test_bodies_are_strict(client: TestClient[web.Request, web.Application]) -> None:
    status, code, message = await _error(
        await client.post("/api/v1/things", json={"name": "x", "colour": "red"}, headers=ADMIN)
    )
    assert (status, code) == (400, "invalid_body")
    assert "colour" in message
    status, code, _ = await _error(await client.post("/api/v1/things", data=b"{oops", headers=ADMIN))
    assert (status, code) == (400, "invalid_json")
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    assert (await client.post("/api/v1/things", data=io.BytesIO(big), headers=ADMIN)).status == 413


async def test_errors_are_json(client: TestClient[web.Request, web.Application]) -> None:
    assert await _error(await client.get("/api/v1/things/missing", headers=READ)) == (
        404,
        "not_found",
        "no such thing",
    )
    assert (await _error(await client.get("/api/v1/nothing-here")))[:2] == (404, "not_found")
    status, code, message = await _error(await client.get("/api/v1/boom"))
    assert (status, code) == (500, "internal")
    assert "secret" not in message


async def test_openapi_document(client: TestClient[web.Request, web.Application]) -> None:
    doc = await (await client.get("/api/openapi.json")).json()
    assert doc["openapi"] == "3.0.3"
    get = doc["paths"]["/api/v1/things/{thing_id}"]["get"]
    assert [p["name"] for p in get["parameters"]] == ["thing_id", "verbose"]
    assert get["security"] == [{"bearer": []}]
    post = doc["paths"]["/api/v1/things"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Thing"
    }
    assert "201" in post["responses"]
    assert set(doc["components"]["schemas"]["Thing"]["properties"]) == {"name", "size"}
    assert "security" not in doc["paths"]["/api/v1/boom"]["get"]
