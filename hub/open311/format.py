"""Work orders in GeoReport v2's vocabulary (JSON), field by field as its schemas name them.

The mapping, and why:

- ``service`` = an appeal category of the rules file; ``type`` is ``realtime`` because a
  request is stored (durably) before the answer; ``metadata`` is true when the category
  asks extra questions, which ``services/{code}.json`` lists as attributes.
- ``service_request_id`` = the order's public receipt code, the one villagers read out.
- ``status`` is ``open`` until the order is resolved (or withdrawn), then ``closed``;
  ``status_notes`` is the handler's answer to the villager.
- ``agency_responsible`` = the department; ``expected_datetime`` = the deadline.
- Location is the village: ``address_id`` its division code, ``address`` village,
  township, county, and ``lat``/``long`` its centre from the fleet file.
- Times are RFC 3339 with the +08:00 offset (the spec wants the zone stated).
"""

from __future__ import annotations

from typing import Any

from hub.workorders.calendar import WorkCalendar
from hub.workorders.flow import State, open311_status
from hub.workorders.places import Places
from hub.workorders.rules import Category, Rules


def service(category: Category) -> dict[str, Any]:
    """A GeoReport Service."""
    return {
        "service_code": category.id,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ",".join(category.keywords) or None,
        "group": category.group,
    }


def definition(category: Category) -> dict[str, Any]:
    """A GeoReport ServiceDefinition."""
    return {
        "service_code": category.id,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": None,
                "order": i + 1,
                "description": a.description or None,
                **({"values": [{"key": v.key, "name": v.name} for v in a.values]} if a.values else {}),
            }
            for i, a in enumerate(category.attributes)
        ],
    }


def request(
    order: dict[str, Any],
    rules: Rules,
    calendar: WorkCalendar,
    places: Places,
    *,
    with_description: bool,
) -> dict[str, Any]:
    """A GeoReport Request (one work order)."""
    category = rules.category(order["category"])
    place = places.village(order["village"])
    return {
        "service_request_id": order["receipt"],
        "status": open311_status(State(order["state"])),
        "status_notes": order["status_notes"] or None,
        "service_name": category.name if category else None,
        "service_code": order["category"],
        "description": order["text"] if with_description else None,
        "agency_responsible": rules.department_name(order["department"]),
        "service_notice": f"承诺{category.deadline_days}个工作日内办结" if category else None,
        "requested_datetime": calendar.iso(order["created"]),
        "updated_datetime": calendar.iso(order["updated"]),
        "expected_datetime": calendar.iso(order["deadline"]),
        "address": place.address if place is not None and place.village_name else None,
        "address_id": order["village"],
        "zipcode": None,
        "lat": place.lat if place is not None else None,
        "long": place.lon if place is not None else None,
        "media_url": order["media_url"],
    }


def error(code: int, description: str) -> list[dict[str, Any]]:
    """GeoReport's error shape: a list of {code, description}."""
    return [{"code": code, "description": description}]


def attributes(category: Category, given: dict[str, list[str]]) -> dict[str, Any]:
    """Check submitted ``attribute[code]`` values against the definition; ValueError says which."""
    known = {a.code: a for a in category.attributes}
    unknown = sorted(set(given) - set(known))
    if unknown:
        msg = f"unknown attribute(s) {', '.join(unknown)} for service {category.id}"
        raise ValueError(msg)
    out: dict[str, Any] = {}
    for code, attribute in known.items():
        values = [v for v in given.get(code, []) if v != ""]
        if not values:
            if attribute.required:
                msg = f"attribute {code} is required for service {category.id}"
                raise ValueError(msg)
            continue
        keys = {v.key for v in attribute.values}
        if attribute.datatype in ("singlevaluelist", "multivaluelist"):
            bad = [v for v in values if v not in keys]
            if bad:
                msg = f"attribute {code}: {', '.join(bad)} not one of {', '.join(sorted(keys))}"
                raise ValueError(msg)
        if attribute.datatype == "multivaluelist":
            out[code] = values
        elif len(values) > 1:
            msg = f"attribute {code} takes one value"
            raise ValueError(msg)
        elif attribute.datatype == "number":
            try:
                out[code] = float(values[0])
            except ValueError:
                msg = f"attribute {code} must be a number"
                raise ValueError(msg) from None
        else:
            out[code] = values[0][:500]
    return out
