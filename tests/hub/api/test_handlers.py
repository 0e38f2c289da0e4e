"""The handler helpers: 404 for a missing lookup, domain refusals as JSON errors, the caller's name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.api.auth import TokenAuth
from hub.api.errors import ApiError, json_errors
from hub.api.handlers import caller, found, refusing
from hub.api.registry import Api, Role


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")
        self.reason = reason


THINGS = {"a": "apple"}


def make_api() -> Api:
    api = Api()

    @api.route("POST", "/api/v1/things/{name}/act", summary="act", role=Role.READ)
    async def act(request: web.Request) -> dict[str, str | None]:
        name = request.match_info["name"]
        thing = found(THINGS.get(name), f"no thing {name}")
        with (
            refusing(Refused, lambda exc: 404 if exc.reason == "gone" else 422, code=lambda exc: exc.reason),
            refusing(KeyError, 409, message=lambda _: "busy"),
        ):
            if request.query.get("fail") == "key":
                raise KeyError(name)
            if request.query.get("fail"):
                raise Refused(request.query["fail"])
            if request.query.get("bug"):
                raise RuntimeError("not a refusal")
        return {"thing": thing, "by": caller(request)}

    @api.route("GET", "/api/v1/whoami", summary="who", role=Role.PUBLIC)
    async def whoami(request: web.Request) -> dict[str, str | None]:
        return {"by": caller(request)}

    return api


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(middlewares=[json_errors])
    make_api().mount(app, TokenAuth([("ops", "read-token-123", "read")]))
    async with TestClient(TestServer(app)) as c:
        yield c


AUTH = {"Authorization": "Bearer read-token-123"}


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/api/v1/things/zzz/act", 404, {"code": "not_found", "message": "no thing zzz"}),
        ("/api/v1/things/a/act?fail=gone", 404, {"code": "gone", "message": "refused: gone"}),
        ("/api/v1/things/a/act?fail=too_long", 422, {"code": "too_long", "message": "refused: too_long"}),
        ("/api/v1/things/a/act?fail=key", 409, {"code": "conflict", "message": "busy"}),
        ("/api/v1/things/a/act?bug=1", 500, {"code": "internal"}),
    ],
)
async def test_lookups_and_refusals_become_json_errors(
    client: TestClient[web.Request, web.Application], path: str, status: int, error: dict[str, str]
) -> None:
    resp = await client.post(path, headers=AUTH)
    assert resp.status == status
    got = (await resp.json())["error"]
    assert {k: got[k] for k in error} == error
    assert "details" not in got


async def test_the_act_runs_in_the_callers_name(client: TestClient[web.Request, web.Application]) -> None:
    resp = await client.post("/api/v1/things/a/act", headers=AUTH)
    assert resp.status == 200
    assert await resp.json() == {"thing": "apple", "by": "ops"}
    anonymous = await client.get("/api/v1/whoami")
    assert await anonymous.json() == {"by": None}


def test_found_keeps_falsy_values_and_refusing_lets_other_errors_through() -> None:
    assert found(0, "never") == 0
    assert found("", "never") == ""
    with pytest.raises(ApiError) as info:
        found(None, "no such thing")
    assert (info.value.status, info.value.code) == (404, "not_found")
    with pytest.raises(ValueError, match="other"), refusing(KeyError, 404):
        raise ValueError("other")
    with pytest.raises(ApiError) as refused, refusing(Refused, 403):
        raise Refused("nope")
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__
