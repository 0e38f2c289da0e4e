"""Outcome metrics on /metrics, integrity signals, and the one-schema export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from contract import payloads as p
from hub import keys
from hub.workorders.export import COLUMNS
from tests.hub.workorders.kit import READ, Kit


async def scrape(kit: Kit) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = await kit.client.get("/metrics")
    assert resp.status == 200
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(await resp.text()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def test_outcome_metrics(kit: Kit) -> None:
    k = kit.kiosk()
    await k.ask(p.Appeal(category="water", village="bz-t01-v01", text="停水", receipt="WWWWWW"))
    await kit.kiosk("kiosk-bz-0002").ask(p.Appeal(category="water", village="bz-t01-v01", text="还是停水"))
    await k.ask(p.Appeal(category="power", village="bz-t01-v02", text="停电", receipt="PPPPPP"))
    await k.ask(p.Appeal(category="bogus", village="bz-t01-v02", text="?"))
    for action, note in (("accept", ""), ("resolve", "修好了")):
        await kit.api("POST", "/api/v1/workorders/WWWWWW/actions", json={"action": action, "note": note})
    await k.ask(p.Rating(target_kind="work_order", target_id="WWWWWW", score=2))
    await kit.api("POST", "/api/v1/workorders/WWWWWW/actions", json={"action": "reopen", "note": "没修好"})
    kit.clock.advance(6 * 86400)  # PPPPPP (3 working days) is overdue by now
    k.event("session_end", {"duration_s": 100, "services": 2, "assisted": True}, ts=kit.ms())
    k.event("session_end", {"duration_s": 30, "services": 0}, ts=kit.ms() + 1)
    await kit.wo.drained()

    m = await scrape(kit)
    assert value(m, "cl_workorders_orders_total", category="water", county="巴州区") == 1
    assert value(m, "cl_workorders_appeals_total", category="water", county="巴州区") == 2
    assert value(m, "cl_workorders_overdue", department="power") == 1
    assert value(m, "cl_workorders_open", department="water", state="dispatched") == 1
    assert value(m, "cl_workorders_resolution_seconds_count", category="water") == 1
    assert value(m, "cl_workorders_resolution_seconds_bucket", category="water", le="86400.0") == 1
    assert value(m, "cl_workorders_reopened_total", category="water") == 1
    assert value(m, "cl_workorders_reopen_ratio") == 1.0
    assert value(m, "cl_ratings_total", target_kind="work_order", score="2", county="巴州区") == 1
    assert value(m, "cl_ratings_satisfaction_ratio", county="巴州区") == 0.0
    assert value(m, "cl_followups_open", department="water") == 1
    place = {"county": "巴州区", "township": "兴隆镇", "village": "兴隆村"}
    assert value(m, "cl_usage_sessions_total", **place) == 2
    assert value(m, "cl_usage_active_sessions_total", **place) == 1
    assert value(m, "cl_usage_services_total", **place) == 2
    assert value(m, "cl_usage_assisted_sessions_total", **place) == 1
    assert value(m, "cl_workorders_requests_total", kind="appeal", result="unknown_category") == 1
    assert value(m, "cl_integrity_bursts", kind="appeal", source="kiosk") == 0
    # Labels come from closed sets only: no receipt, node, text or raw payload value.
    ours = ("cl_workorders_", "cl_ratings", "cl_followups_", "cl_usage_", "cl_integrity_", "cl_helpcalls")
    labels = {v for (name, ls) in m if name.startswith(ours) for (_, v) in ls}
    assert not labels & {"WWWWWW", "PPPPPP", "kiosk-bz-0001", "停水"}


async def test_bursts_from_one_kiosk_or_helper_are_flagged(kit: Kit) -> None:
    await kit.helper("s01")
    k = kit.kiosk()
    for i in range(10):  # ten appeals in ten minutes from one kiosk, all by one helper
        await k.ask(
            p.Appeal(category="other", village="bz-t01-v01", text=f"第{i}件"),
            assisted_by="s01",
            ts=kit.ms() + i * 30_000,
        )
    kit.clock.advance(10)
    status, found = await kit.api("GET", "/api/v1/integrity", token=READ)
    assert status == 200
    flagged = {(b["source"], b["id"], b["kind"], b["count"]) for b in found["items"]}
    assert flagged == {("kiosk", "kiosk-bz-0001", "appeal", 10), ("helper", "s01", "appeal", 10)}
    m = await scrape(kit)
    assert value(m, "cl_integrity_bursts", kind="appeal", source="kiosk") == 1
    assert value(m, "cl_integrity_bursts", kind="appeal", source="helper") == 1
    assert value(m, "cl_integrity_bursts", kind="rating", source="kiosk") == 0


async def test_replayed_backlog_is_not_a_burst(kit: Kit) -> None:
    """Kiosk timestamps count: a day offline replayed at once is spread over the day."""
    k = kit.kiosk()
    start = kit.ms() - 86_000_000
    for i in range(12):
        await k.ask(
            p.Appeal(category="other", village="bz-t01-v01", text=f"第{i}件"), ts=start + i * 3_600_000
        )
    _, found = await kit.api("GET", "/api/v1/integrity", token=READ)
    assert found["items"] == []


async def test_export_has_one_schema_for_every_department(kit: Kit) -> None:
    k = kit.kiosk()
    await k.ask(
        p.Appeal(category="water", village="bz-t01-v01", text="=cmd|' /C calc'!A0", contact="13812345678")
    )
    await k.ask(p.Appeal(category="power", village="bz-t01-v02", text="停电"))
    status, rows = await kit.api("GET", "/api/v1/export/workorders.json", token=READ)
    assert status == 200
    assert [tuple(r) for r in rows] == [COLUMNS, COLUMNS]
    status, water = await kit.api("GET", "/api/v1/export/workorders.json?department=water", token=READ)
    assert [r["department_name"] for r in water] == ["巴中市水务局"]
    assert water[0]["contact"] == "138****5678"
    resp = await kit.client.get("/api/v1/export/workorders.csv?department=water", headers=READ)
    assert resp.headers["Content-Type"].startswith("text/csv")
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    record = dict(zip(table[0], table[1], strict=True))
    assert record["village_name"] == "兴隆村"
    assert record["text"].startswith("'="), "formula-looking cells are made inert"
    assert "13812345678" not in raw.decode("utf-8-sig")


async def test_docs_list_every_family(kit: Kit) -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "workorders.md").read_text(encoding="utf-8")
    collector = kit.app[keys.RENDERER]._extra[-1]  # the work-order collector, last in the chain
    names = {family.name for family in collector.collect()}
    assert names, "the collector yields families"
    missing = [n for n in sorted(names) if f"`{n}" not in docs]
    assert missing == []
