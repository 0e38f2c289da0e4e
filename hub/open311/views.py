"""Open311 GeoReport v2 endpoints under /open311/v2/ (JSON), so other systems can read and file.

Paths follow the spec: ``services.json``, ``services/{service_code}.json``, ``requests.json``
(GET to search, POST to create), ``requests/{id}.json`` (an array of one, as the spec's
examples show) and the Swagger file's ``request/{id}.json`` (the object itself), and
``tokens/{token}.json``. Only ``.json`` is served; ``.xml`` gets a 400 saying so.

Creating needs an ``api_key`` from the hub config. Reading does not, but villagers' own
words (``description``) are shown only with a valid key unless the hub is configured to
publish them: appeals often name people.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from typing import Any

import msgspec
from aiohttp import web

from hub import keys
from hub.open311 import format as fmt
from hub.workorders import codes, queries
from hub.workorders.orders import NewAppeal
from hub.workorders.places import Place
from hub.workorders.service import WorkOrders

PREFIX = "/open311/v2"
MAX_SPAN = dt.timedelta(days=90)
MAX_RESULTS = 1000
MAX_DESCRIPTION = 4000
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9._-]{1,64})\](\[\])?$")


class Open311Error(Exception):
    """Answered as GeoReport's ``[{"code", "description"}]`` with that HTTP status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=msgspec.json.encode(data), status=status, content_type="application/json")


def _handler(fn: Any) -> Any:
    async def wrapped(request: web.Request) -> web.Response:
        try:
            wo = _checked(request)
            result: web.Response = await fn(request, wo)
        except Open311Error as exc:
            return _json(fmt.error(exc.status, exc.description), exc.status)
        return result

    wrapped.__name__ = fn.__name__
    return wrapped


def _checked(request: web.Request) -> WorkOrders:
    """The service, once the format and jurisdiction of the request are ones we serve."""
    if request.match_info.get("fmt", "json") != "json":
        raise Open311Error(400, "only the json format is served; use .json")
    wo = request.app[keys.WORKORDERS]
    jurisdiction = request.query.get("jurisdiction_id")
    if jurisdiction is not None and jurisdiction != wo.settings.jurisdiction_id:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction[:64]!r} not found")
    return wo


def setup(app: web.Application) -> None:
    """Add the GeoReport routes."""
    app.router.add_get(PREFIX + "/services.{fmt}", _handler(services))
    app.router.add_get(PREFIX + "/services/{code}.{fmt}", _handler(service_definition))
    app.router.add_get(PREFIX + "/requests.{fmt}", _handler(list_requests))
    app.router.add_post(PREFIX + "/requests.{fmt}", _handler(create_request))
    app.router.add_get(PREFIX + "/requests/{id}.{fmt}", _handler(get_request))
    app.router.add_get(PREFIX + "/request/{id}.{fmt}", _handler(get_request_object))
    app.router.add_get(PREFIX + "/tokens/{token}.{fmt}", _handler(get_token))


async def services(request: web.Request, wo: WorkOrders) -> web.Response:
    """GET services: every appeal category."""
    return _json([fmt.service(c) for c in wo.rules.categories])


async def service_definition(request: web.Request, wo: WorkOrders) -> web.Response:
    """GET a service definition: the category's extra questions."""
    category = wo.rules.category(request.match_info["code"])
    if category is None:
        raise Open311Error(404, f"service_code {request.match_info['code'][:64]!r} not found")
    return _json(fmt.definition(category))


async def list_requests(request: web.Request, wo: WorkOrders) -> web.Response:
    """GET requests: by ids, or by service code, date range (at most 90 days) and status."""
    q = request.query
    now = wo.clock()
    ids = tuple(codes.normalise(i) for i in q.get("service_request_id", "").split(",") if i.strip())
    if ids:
        if any(not codes.valid_code(i) for i in ids):
            raise Open311Error(
                400, "service_request_id must be receipt codes (6-8 of 0-9 A-Z without I L O U)"
            )
        f = queries.Filter(receipts=ids, limit=MAX_RESULTS)
    else:
        end = _time(q.get("end_date"), "end_date") or now
        start = _time(q.get("start_date"), "start_date") or end - MAX_SPAN.total_seconds()
        if end - start > MAX_SPAN.total_seconds():
            raise Open311Error(400, "start_date to end_date may not span more than 90 days")
        statuses = {s.strip() for s in q.get("status", "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed or both (comma separated)")
        categories = tuple(c.strip() for c in q.get("service_code", "").split(",") if c.strip())
        f = queries.Filter(
            since=start,
            until=end,
            categories=categories,
            open_only=statuses == {"open"},
            closed_only=statuses == {"closed"},
            limit=MAX_RESULTS,
        )
    rows = await wo.store.read(lambda db: queries.list_orders(db, f, now))
    described = _may_describe(request, wo)
    return _json([fmt.request(o, wo.rules, wo.calendar, wo.places, with_description=described) for o in rows])


async def get_request(request: web.Request, wo: WorkOrders) -> web.Response:
    """GET a request: ``[request]`` (the spec's JSON shape)."""
    return _json([await _one(request, wo)])


async def get_request_object(request: web.Request, wo: WorkOrders) -> web.Response:
    """The Swagger file's variant: the request object itself."""
    return _json(await _one(request, wo))


async def get_token(request: web.Request, wo: WorkOrders) -> web.Response:
    """GET the service_request_id a token stands for."""
    token = request.match_info["token"][:64]
    receipt = await wo.store.read(lambda db: queries.by_token(db, token))
    if receipt is None:
        raise Open311Error(404, "token not found")
    return _json([{"service_request_id": receipt, "token": token}])


async def create_request(request: web.Request, wo: WorkOrders) -> web.Response:
    """POST a request: an appeal from another system, filed like a kiosk's (附议 included)."""
    form = await request.post()
    params: dict[str, list[str]] = {}
    for source in (request.query, form):
        for key, value in source.items():
            if isinstance(value, str):
                params.setdefault(key, []).append(value)
    given = {k: v[-1] for k, v in params.items()}
    who = _key_holder(given.get("api_key"), wo)
    if who is None:
        raise Open311Error(403, "a valid api_key is required to create requests")
    category = wo.rules.category(given.get("service_code", ""))
    if category is None:
        raise Open311Error(404, f"service_code {given.get('service_code', '')[:64]!r} not found")
    place = _locate(given, wo)
    description = given.get("description", "")
    if len(description) > MAX_DESCRIPTION or len(description) > wo.rules.limits.text_chars:
        raise Open311Error(
            400, f"description longer than {min(MAX_DESCRIPTION, wo.rules.limits.text_chars)} characters"
        )
    if not description.strip():
        raise Open311Error(400, "description is required")
    media_url = given.get("media_url") or None
    if media_url is not None and (len(media_url) > 1024 or not re.match(r"^https?://[^\s]+$", media_url)):
        raise Open311Error(400, "media_url must be an http(s) URL of at most 1024 characters")
    attributes: dict[str, list[str]] = {}
    for key, values in params.items():
        match = _ATTRIBUTE.match(key)
        if match:
            attributes.setdefault(match[1], []).extend(values)
        elif key.startswith("attribute"):
            raise Open311Error(400, f"malformed attribute parameter {key[:80]!r}")
    try:
        checked = fmt.attributes(category, attributes)
    except ValueError as exc:
        raise Open311Error(400, str(exc)) from None
    phone = given.get("phone") or None
    filed = await wo.file(
        NewAppeal(
            category=category.id,
            place=place,
            text=description,
            source="open311",
            actor=f"open311:{who}",
            contact=phone[:32] if phone else None,
            media_url=media_url,
            attributes=checked,
        )
    )
    token = secrets.token_urlsafe(12)
    now = wo.clock()
    await wo.store.write(
        lambda db: db.execute(
            "INSERT INTO open311_tokens (token, order_id, created) VALUES (?,?,?)",
            [token, filed.order_id, now],
        )
    )
    notice = (
        f"已有相同诉求，已作为附议并入 {filed.order_receipt}"
        if filed.seconded
        else f"已受理，承诺{category.deadline_days}个工作日内办结"
    )
    return _json([{"service_request_id": filed.order_receipt, "token": token, "service_notice": notice}])


# -- helpers ----------------------------------------------------------------------------------


async def _one(request: web.Request, wo: WorkOrders) -> dict[str, Any]:
    code = codes.normalise(request.match_info["id"])
    if not codes.valid_code(code):
        raise Open311Error(400, "service_request_id must be a receipt code (6-8 of 0-9 A-Z without I L O U)")
    found = await wo.store.read(lambda db: queries.order_detail(db, code))
    if found is None:
        raise Open311Error(404, f"service_request_id {code} not found")
    return fmt.request(found, wo.rules, wo.calendar, wo.places, with_description=_may_describe(request, wo))


def _key_holder(given: str | None, wo: WorkOrders) -> str | None:
    if not given:
        return None
    found = None
    for key in wo.settings.open311_keys:
        # Compare with every key, not just until a match, so timing leaks nothing.
        if hmac.compare_digest(key.key.get_secret_value().encode(), given.encode()):
            found = key.name
    return found


def _may_describe(request: web.Request, wo: WorkOrders) -> bool:
    return wo.settings.public_descriptions or _key_holder(request.query.get("api_key"), wo) is not None


def _time(value: str | None, name: str) -> float | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(
            400, f"{name} must be an ISO 8601 date-time, e.g. 2026-11-29T08:00:00+08:00"
        ) from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or +08:00)")
    return parsed.timestamp()


def _locate(given: dict[str, str], wo: WorkOrders) -> Place:
    """The village of a request: address_id (a village code), else lat/long, else a village name."""
    if given.get("address_id"):
        place = wo.places.village(given["address_id"])
        if place is None:
            raise Open311Error(
                400, f"address_id {given['address_id'][:64]!r} is not a village code of this jurisdiction"
            )
        return place
    if given.get("lat") and given.get("long"):
        try:
            lat, lon = float(given["lat"]), float(given["long"])
        except ValueError:
            raise Open311Error(400, "lat and long must be numbers (WGS84 degrees)") from None
        place = wo.places.nearest(lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None
        if place is None:
            raise Open311Error(400, "lat/long is not within this jurisdiction")
        return place
    if given.get("address_string"):
        place = wo.places.by_name(given["address_string"])
        if place is None:
            raise Open311Error(
                400, "address_string must be the exact name of one village; or give address_id"
            )
        return place
    raise Open311Error(400, "a location is required: address_id, lat and long, or address_string")
