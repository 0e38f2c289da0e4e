"""Administration of villagers' voice: console staff, village helpers, surveys, kiosk content.

All writes need the ``admin`` role. Staff passwords arrive here once and are stored only as
scrypt hashes; nothing returns them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from hub.api.errors import ApiError
from hub.api.handlers import found, refusing
from hub.api.registry import Api, Role
from hub.api.workorders import actor, rejected, service
from hub.content import surveys
from hub.content.shapes import ContentError
from hub.workorders import accounts

_TAGS = ("administration",)
Ident = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class StaffIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A console account: department staff (handler) or the dispatch centre (dispatcher)."""

    username: Ident
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    department: str
    role: Literal["handler", "dispatcher"] = "handler"
    password: Annotated[str, msgspec.Meta(min_length=accounts.MIN_PASSWORD, max_length=256)]
    active: bool = True


class StaffOut(msgspec.Struct, kw_only=True):
    username: str
    name: str
    department: str
    role: str
    active: bool


class HelperIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A village helper (代办员); kiosks send this id as ``assisted_by``."""

    id: Ident
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    scope: Literal["all", "county", "township", "village"] = "village"
    code: str = ""
    active: bool = True


class HelperOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    scope: str
    code: str
    active: bool


class ContentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A content document for kiosks; ``body`` has the shape of the kiosk's file of that kind."""

    kind: Literal["catalog", "notices", "affairs", "info", "health"]
    scope: Literal["all", "county", "township", "village"] = "all"
    code: str | None = None
    body: dict[str, Any]


class DocOut(msgspec.Struct, kw_only=True):
    """A published document's current revision."""

    kind: str
    scope: str
    code: str
    revision: int
    version: str
    topic: str
    withdrawn: bool
    author: str


class DocList(msgspec.Struct, kw_only=True):
    items: list[DocOut]


def _doc(d: Any) -> DocOut:
    return DocOut(
        kind=d.kind,
        scope=d.scope,
        code=d.code,
        revision=d.revision,
        version=d.version,
        topic=d.topic,
        withdrawn=d.withdrawn,
        author=d.author,
    )


def _refused(status: int | Callable[[ContentError], int]) -> AbstractContextManager[None]:
    """Content the kiosks' shapes or the publishing rules refuse (code ``content``)."""
    return refusing(ContentError, status, code="content")


def register(api: Api) -> None:
    """Declare the administration operations."""

    @api.route(
        "POST",
        "/api/v1/staff",
        summary="Create or update a console account",
        role=Role.ADMIN,
        body=StaffIn,
        response=StaffOut,
        tags=_TAGS,
    )
    async def save_staff(request: web.Request, body: StaffIn) -> StaffOut:
        wo = service(request)
        if wo.rules.department(body.department) is None:
            raise ApiError(422, f"unknown department {body.department!r}", code="unknown_department")
        hashed = await asyncio.to_thread(accounts.hash_password, body.password)
        now = wo.clock()
        await wo.store.write(
            lambda db: accounts.save_staff(
                db, body.username, body.name, body.department, body.role, hashed, now, active=body.active
            )
        )
        return StaffOut(
            username=body.username,
            name=body.name,
            department=body.department,
            role=body.role,
            active=body.active,
        )

    @api.route("GET", "/api/v1/staff", summary="Console accounts", response=list[StaffOut], tags=_TAGS)
    async def list_staff(request: web.Request) -> list[StaffOut]:
        rows = await service(request).store.read(accounts.list_staff)
        return [msgspec.convert({**r, "active": bool(r["active"])}, StaffOut, strict=False) for r in rows]

    @api.route(
        "POST",
        "/api/v1/helpers",
        summary="Register a village helper (代办员)",
        role=Role.ADMIN,
        body=HelperIn,
        response=HelperOut,
        tags=_TAGS,
    )
    async def save_helper(request: web.Request, body: HelperIn) -> HelperOut:
        wo = service(request)
        now = wo.clock()
        with rejected():
            await wo.store.write(
                lambda db: accounts.save_helper(
                    db, body.id, body.name, body.scope, body.code, now, active=body.active
                )
            )
        return HelperOut(id=body.id, name=body.name, scope=body.scope, code=body.code, active=body.active)

    @api.route("GET", "/api/v1/helpers", summary="Village helpers", response=list[HelperOut], tags=_TAGS)
    async def list_helpers(request: web.Request) -> list[HelperOut]:
        rows = await service(request).store.read(accounts.list_helpers)
        return [
            HelperOut(id=r["id"], name=r["name"], scope=r["scope"], code=r["code"], active=bool(r["active"]))
            for r in rows
        ]

    @api.route(
        "POST",
        "/api/v1/surveys",
        summary="Publish a survey or consultation to kiosks",
        role=Role.ADMIN,
        body=surveys.ItemIn,
        response=DocOut,
        status=201,
        tags=_TAGS,
    )
    async def publish_survey(request: web.Request, body: surveys.ItemIn) -> DocOut:
        wo = service(request)
        with _refused(lambda exc: 409 if "exists" in str(exc) else 422):
            return _doc(await surveys.publish_item(wo.content, body, actor(request), wo.clock()))

    @api.route(
        "POST",
        "/api/v1/surveys/{item_id}/close",
        summary="Close a survey",
        role=Role.ADMIN,
        response=DocOut,
        tags=_TAGS,
    )
    async def close_survey(request: web.Request) -> DocOut:
        wo = service(request)
        with _refused(lambda exc: 404 if "no item" in str(exc) else 409):
            return _doc(
                await surveys.close_item(
                    wo.content, request.match_info["item_id"], actor(request), wo.clock()
                )
            )

    @api.route(
        "GET",
        "/api/v1/surveys/{item_id}/results",
        summary="Answers by choice and by village",
        response=surveys.ItemResults,
        tags=_TAGS,
    )
    async def survey_results(request: web.Request) -> surveys.ItemResults:
        wo = service(request)
        names = {p.village: p.village_name for p in wo.places.villages()}
        item_id = request.match_info["item_id"]
        results = await wo.store.read(lambda db: surveys.results(db, item_id, names))
        return found(results, f"no item {item_id!r}")

    @api.route(
        "POST",
        "/api/v1/content",
        summary="Publish a content document to kiosks",
        role=Role.ADMIN,
        body=ContentIn,
        response=DocOut,
        status=201,
        tags=_TAGS,
    )
    async def publish_content(request: web.Request, body: ContentIn) -> DocOut:
        wo = service(request)
        with _refused(422):
            return _doc(await wo.content.publish(body.kind, body.scope, body.code, body.body, actor(request)))

    @api.route("GET", "/api/v1/content", summary="Published content documents", response=DocList, tags=_TAGS)
    async def list_content(request: web.Request) -> DocList:
        return DocList(items=[_doc(d) for d in await service(request).content.documents()])

    @api.route(
        "DELETE",
        "/api/v1/content/{kind}/{scope}",
        summary="Withdraw a content document (all or ?code=)",
        role=Role.ADMIN,
        response=DocOut,
        tags=_TAGS,
    )
    async def withdraw_content(request: web.Request) -> DocOut:
        wo = service(request)
        with _refused(404):
            doc = await wo.content.withdraw(
                request.match_info["kind"],
                request.match_info["scope"],
                request.query.get("code"),
                actor(request),
            )
        return _doc(doc)
