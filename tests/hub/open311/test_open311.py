"""Open311 GeoReport v2: the whole flow through the endpoints, checked against the official schemas.

The schemas are the open311/schema-validation ones in /work/shared/reference (copied next to
this test so the suite does not depend on that path).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.hub.workorders.kit import OPEN311_KEY, Kit

SCHEMAS = Path(__file__).with_name("schemas")
BASE = "/open311/v2"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        resources.append(
            (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4))
        )
    return Registry().with_resources(resources)


REGISTRY = _registry()


def check(schema: str, data: Any) -> None:
    """Validate ``data`` against one of the GeoReport schemas, and its date-times by hand."""
    contents = REGISTRY.contents(schema)
    jsonschema.Draft4Validator(
        contents, registry=REGISTRY, format_checker=jsonschema.FormatChecker()
    ).validate(data)
    for item in data if isinstance(data, list) else [data]:
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if isinstance(item, dict) and item.get(key) is not None:
                assert dt.datetime.fromisoformat(item[key]).tzinfo is not None, key


async def get(kit: Kit, path: str, **params: str) -> tuple[int, Any]:
    resp = await kit.client.get(BASE + path, params=params)
    assert resp.content_type == "application/json"
    return resp.status, await resp.json()


async def post(kit: Kit, **form: str) -> tuple[int, Any]:
    resp = await kit.client.post(BASE + "/requests.json", data=form)
    return resp.status, await resp.json()


async def test_walk_the_whole_georeport_flow(kit: Kit) -> None:
    status, services = await get(kit, "/services.json", jurisdiction_id="bazhong")
    assert status == 200
    check("services.json", services)
    water = next(s for s in services if s["service_code"] == "water")
    assert (water["service_name"], water["metadata"], water["type"], water["group"]) == (
        "饮水用水",
        True,
        "realtime",
        "基础设施",
    )

    status, definition = await get(kit, "/services/water.json")
    assert status == 200
    check("service-definition.json", definition)
    [scope] = definition["attributes"]
    assert (scope["code"], scope["datatype"]) == ("scope", "singlevaluelist")
    assert [v["key"] for v in scope["values"]] == ["household", "group", "village"]

    status, created = await post(
        kit,
        api_key=OPEN311_KEY,
        jurisdiction_id="bazhong",
        service_code="water",
        address_id="bz-t01-v01",
        description="全村停水两天了",
        phone="13812345678",
        media_url="https://photos.example.org/1.jpg",
        **{"attribute[scope]": "village"},
    )
    assert status == 200, created
    [receipt] = created
    assert set(receipt) == {"service_request_id", "token", "service_notice"}
    assert "5个工作日" in receipt["service_notice"]
    rid, token = receipt["service_request_id"], receipt["token"]

    status, tokens = await get(kit, f"/tokens/{token}.json")
    assert (status, tokens) == (200, [{"service_request_id": rid, "token": token}])

    status, found = await get(kit, f"/requests/{rid}.json")
    assert status == 200
    check("requests.json", found)
    [request] = found
    assert request["service_request_id"] == rid
    assert (request["status"], request["service_code"], request["agency_responsible"]) == (
        "open",
        "water",
        "巴中市水务局",
    )
    assert (request["address_id"], request["address"]) == ("bz-t01-v01", "兴隆村, 兴隆镇, 巴州区")
    assert request["lat"] == pytest.approx(31.86)
    assert request["media_url"] == "https://photos.example.org/1.jpg"
    assert request["description"] is None, "villagers' words need an api_key"
    assert request["expected_datetime"] == "2026-03-10T00:00:00+08:00"
    status, keyed = await get(kit, f"/requests/{rid}.json", api_key=OPEN311_KEY)
    assert keyed[0]["description"] == "全村停水两天了"
    status, one = await get(kit, f"/request/{rid}.json")
    assert status == 200
    check("request.json", one)

    # The department works it through the hub; Open311 sees it closed with the answer.
    for action, note in (("accept", ""), ("resolve", "水管已修复")):
        st, _ = await kit.api(
            "POST", f"/api/v1/workorders/{rid}/actions", json={"action": action, "note": note}
        )
        assert st == 200
    status, closed = await get(kit, "/requests.json", status="closed", service_code="water,power")
    assert status == 200
    check("requests.json", closed)
    assert [(r["service_request_id"], r["status"], r["status_notes"]) for r in closed] == [
        (rid, "closed", "水管已修复")
    ]
    _, still_open = await get(kit, "/requests.json", status="open")
    assert still_open == []
    _, by_id = await get(kit, "/requests.json", service_request_id=f"{rid},ZZZZZZ")
    assert [r["service_request_id"] for r in by_id] == [rid]


async def test_locations_and_seconds(kit: Kit) -> None:
    status, first = await post(
        kit, api_key=OPEN311_KEY, service_code="power", lat="31.871", long="106.791", description="路灯不亮"
    )
    assert status == 200, first
    status, found = await get(kit, f"/requests/{first[0]['service_request_id']}.json")
    assert found[0]["address_id"] == "bz-t01-v02"
    status, second = await post(
        kit, api_key=OPEN311_KEY, service_code="power", address_string="石桥村", description="灯坏了"
    )
    assert status == 200
    assert second[0]["service_request_id"] == first[0]["service_request_id"]
    assert "附议" in second[0]["service_notice"]
    status, body = await post(
        kit, api_key=OPEN311_KEY, service_code="power", lat="39.9", long="116.4", description="x"
    )
    assert (status, body[0]["code"]) == (400, 400)
    status, body = await post(kit, api_key=OPEN311_KEY, service_code="power", description="x")
    assert "location is required" in body[0]["description"]


async def test_errors_use_georeport_shape(kit: Kit) -> None:
    status, body = await get(kit, "/services.json", jurisdiction_id="chengdu")
    assert (status, body) == (404, [{"code": 404, "description": "jurisdiction_id 'chengdu' not found"}])
    resp = await kit.client.get(BASE + "/services.xml")
    assert resp.status == 400
    assert "json" in (await resp.json())[0]["description"]
    status, body = await get(kit, "/services/potholes.json")
    assert status == 404
    status, body = await get(
        kit, "/requests.json", start_date="2025-01-01T00:00:00+08:00", end_date="2026-01-01T00:00:00+08:00"
    )
    assert status == 400
    assert "90 days" in body[0]["description"]
    status, body = await get(kit, "/requests.json", start_date="yesterday")
    assert status == 400
    status, body = await get(kit, "/tokens/nope.json")
    assert status == 404
    status, body = await post(kit, service_code="power", address_id="bz-t01-v01", description="x")
    assert (status, body[0]["code"]) == (403, 403)
