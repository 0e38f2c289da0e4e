# ruff: noqa: E501 - long query strings and table rows read better unbroken
"""Build the Grafana dashboards of cunlink as JSON: ``python dashboards/build.py`` rewrites dashboards/grafana/.

Hand-rolled dict builders rather than a dashboards SDK (grafanalib is unmaintained, the
foundation SDK churns per Grafana release): the JSON is small and reviewed as a diff.
tests/hub/test_dashboards.py fails when the committed files differ from this output.
Queries use only series the hub exposes (docs/hub.md) and the recording rules in rules/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "grafana"
DS = {"type": "prometheus", "uid": "${datasource}"}
#: Bazhong: the map opens over the city.
CENTER = {"lat": 31.95, "lon": 106.95, "zoom": 8}


def _target(
    expr: str, legend: str = "", *, instant: bool = False, fmt: str = "time_series"
) -> dict[str, Any]:
    return {
        "datasource": DS, "expr": expr, "legendFormat": legend, "refId": "A",
        "instant": instant, "range": not instant, "format": fmt,
    }  # fmt: skip


def _panel(
    kind: str, title: str, description: str, grid: tuple[int, int, int, int], **extra: Any
) -> dict[str, Any]:
    x, y, w, h = grid
    return {
        "type": kind, "title": title, "description": description, "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h}, **extra,
    }  # fmt: skip


def stat(
    title: str, description: str, expr: str, grid: tuple[int, int, int, int], unit: str = "none"
) -> dict[str, Any]:
    return _panel(
        "stat", title, description, grid, targets=[_target(expr, instant=True)],
        fieldConfig={"defaults": {"unit": unit}, "overrides": []},
    )  # fmt: skip


def timeseries(
    title: str,
    description: str,
    targets: list[tuple[str, str]],
    grid: tuple[int, int, int, int],
    unit: str = "none",
) -> dict[str, Any]:
    built = [_target(expr, legend) | {"refId": chr(65 + i)} for i, (expr, legend) in enumerate(targets)]
    return _panel(
        "timeseries", title, description, grid, targets=built,
        fieldConfig={"defaults": {"unit": unit}, "overrides": []},
    )  # fmt: skip


def row(title: str, y: int) -> dict[str, Any]:
    """A section header across the dashboard."""
    return {"type": "row", "title": title, "collapsed": False, "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
            "panels": []}  # fmt: skip


def table(title: str, description: str, expr: str, grid: tuple[int, int, int, int]) -> dict[str, Any]:
    return _panel(
        "table", title, description, grid, targets=[_target(expr, instant=True, fmt="table")],
        transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True}}}],
    )  # fmt: skip


def geomap(title: str, description: str, expr: str, grid: tuple[int, int, int, int]) -> dict[str, Any]:
    """Markers from an instant table query whose labels include lat and lon (the hub's *_info series).

    Value 1 is green (up), 0 red (down); the basemap is Grafana's default (air-gapped
    sites point it at a local tile server).
    """
    layer = {
        "type": "markers", "name": title, "tooltip": True,
        "location": {"mode": "coords", "latitude": "lat", "longitude": "lon"},
        "config": {
            "showLegend": True,
            "style": {"color": {"field": "Value", "fixed": "dark-green"}, "size": {"fixed": 5},
                      "opacity": 0.8, "symbol": {"fixed": "img/icons/marker/circle.svg", "mode": "fixed"}},
        },
    }  # fmt: skip
    return _panel(
        "geomap", title, description, grid,
        targets=[_target(expr, instant=True, fmt="table")],
        transformations=[{"id": "convertFieldType", "options": {"conversions": [
            {"targetField": "lat", "destinationType": "number"},
            {"targetField": "lon", "destinationType": "number"}]}}],
        fieldConfig={"defaults": {"color": {"mode": "thresholds"}, "thresholds": {"mode": "absolute", "steps": [
            {"color": "red", "value": None}, {"color": "green", "value": 1}]}}, "overrides": []},
        options={"view": {"id": "coords", **CENTER}, "controls": {"showZoom": True}, "layers": [layer]},
    )  # fmt: skip


def dashboard(uid: str, title: str, description: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    for i, panel in enumerate(panels, start=1):
        panel["id"] = i
    return {
        "uid": uid, "title": title, "description": description, "tags": ["cunlink"], "editable": True,
        "schemaVersion": 39, "time": {"from": "now-6h", "to": "now"}, "refresh": "30s", "timezone": "browser",
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus",
                                 "label": "Prometheus", "current": {}}]},
        "panels": panels,
    }  # fmt: skip


def fleet() -> dict[str, Any]:
    """Base stations and coverage on a map, with the claim "every township is dual-gigabit" measured."""
    panels = [
        stat("Townships with dual-gigabit backhaul", "Share of townships whose two OLT uplinks are both measured "
             "up now; unknown counts as not.", "cl_coverage_townships_dual_gigabit_ratio", (0, 0, 6, 4), "percentunit"),
        stat("Villages with 5G service", "Share of villages with a serving gNB and backhaul up now.",
             "cl_coverage_villages_covered_ratio", (6, 0, 6, 4), "percentunit"),
        stat("Base stations up", "gNBs whose session is live.", 'cunlink:devices_up:sum_by_kind{kind="gnb"}',
             (12, 0, 6, 4)),
        stat("Active alarms", "All active alarms (agents' and the hub's).", "sum(cl_alarms_active)", (18, 0, 6, 4)),
        geomap("Base stations", "Every gNB at its site: green up, red down (no point: not yet known).",
               'cl_device_up * on (device) group_left (lat, lon, site, township) cl_device_location_info{kind="gnb"}',
               (0, 4, 12, 14)),
        geomap("Township backhaul", "Township seats: green with both gigabit uplinks up, red otherwise.",
               "cl_township_dual_gigabit * on (township) group_left (lat, lon, name) cl_township_info",
               (12, 4, 12, 14)),
        timeseries("Dual-gigabit townships over time", "Share of townships with both uplinks up, and the 1-day "
                   "availability of each county from the hub's measured-seconds counters.",
                   [("cl_coverage_townships_dual_gigabit_ratio", "all townships"),
                    ('cunlink:coverage_availability:ratio_1d{level="county", measure="dual_gigabit"}',
                     "{{area}} (1d availability)")],
                   (0, 18, 12, 8), "percentunit"),
        timeseries("Devices up by kind", "Devices whose session is live.",
                   [("cunlink:devices_up:sum_by_kind", "{{kind}}")], (12, 18, 12, 8)),
        table("Active alarms", "One row per active alarm.", "cl_alarm_active_info", (0, 26, 24, 10)),
    ]  # fmt: skip
    return dashboard(
        "cunlink-fleet", "cunlink: fleet and coverage", "Base stations, backhaul, villages.", panels
    )


def hub() -> dict[str, Any]:
    """The hub's own health: ingest, rejects, series, scrape render, database."""
    panels = [
        stat("MQTT connected", "1 while connected and subscribed.", "cl_hub_mqtt_connected", (0, 0, 6, 4)),
        stat("Connected but silent", "1 when subscribed but nothing arrives.", "cl_hub_mqtt_silent", (6, 0, 6, 4)),
        stat("Series", "Device and node series held.", "cl_hub_series", (12, 0, 6, 4)),
        stat("Last message age", "Seconds since the last message.", "cl_hub_last_message_age_seconds",
             (18, 0, 6, 4), "s"),
        timeseries("Messages", "Messages by verb and outcome.",
                   [("cunlink:hub_messages:rate5m", "{{verb}} {{status}}")], (0, 4, 12, 8), "reqps"),
        timeseries("Rejected", "Rejected messages by reason.",
                   [("sum by (reason) (rate(cl_hub_rejected_total[$__rate_interval]))", "{{reason}}")],
                   (12, 4, 12, 8), "reqps"),
        timeseries("Seq gaps and rebirths", "Lost messages and the rebirths they caused.",
                   [("rate(cl_hub_seq_gaps_total[$__rate_interval])", "gaps"),
                    ("rate(cl_hub_seq_reordered_total[$__rate_interval])", "reordered, not lost"),
                    ("rate(cl_hub_rebirths_requested_total[$__rate_interval])", "rebirths")],
                   (0, 12, 12, 8), "reqps"),
        timeseries("Render and database", "/metrics render wall time; mean and worst SQLite write per database.",
                   [("cl_hub_render_duration_seconds", "render"),
                    ("cunlink:hub_db_write_seconds:mean5m", "{{db}} mean write"),
                    ("cl_hub_db_write_max_seconds", "{{db}} slowest write")],
                   (12, 12, 12, 8), "s"),
        *helpcalls(20),
    ]  # fmt: skip
    return dashboard(
        "cunlink-hub", "cunlink: hub health", "Ingest, rejects, series, render, database and help calls.",
        panels,
    )  # fmt: skip


def helpcalls(y: int) -> list[dict[str, Any]]:
    """One-key help calls (docs/workorders.md "Help calls"): is every villager who pressed 一键求助 answered?"""
    return [
        row("Help calls (一键求助)", y),
        stat("Help calls unacknowledged", "Calls nobody has acknowledged in the console yet, all counties.",
             "sum(cl_helpcalls_unacknowledged)", (0, y + 1, 6, 4)),
        stat("Help calls overdue", "Unacknowledged calls older than helpcalls.escalate_after_minutes "
             "(sent to the township's duty cadre too).", "sum(cl_helpcalls_overdue)", (6, y + 1, 6, 4)),
        stat("Oldest unacknowledged help call", "Age of the longest-waiting unacknowledged call; alert "
             "CunlinkHelpCallUnanswered fires past 15 minutes.",
             "max(cl_helpcalls_oldest_unacknowledged_seconds)", (12, y + 1, 6, 4), "s"),
        stat("Duty roster file", "1: the roster in effect is the file's content; 0: the last edit was refused "
             "(the hub log names file:line), the previous roster still applies.", "cl_helpcall_roster_ok",
             (18, y + 1, 6, 4)),
        timeseries("Help calls by county", "Open (not closed), unacknowledged and overdue calls per county.",
                   [("cl_helpcalls_open", "{{county}} open"),
                    ("cl_helpcalls_unacknowledged", "{{county}} unacknowledged"),
                    ("cl_helpcalls_overdue", "{{county}} overdue")],
                   (0, y + 5, 12, 8)),
        timeseries("Oldest unacknowledged help call by county", "0 when every call in the county is acknowledged.",
                   [("cl_helpcalls_oldest_unacknowledged_seconds", "{{county}}")], (12, y + 5, 12, 8), "s"),
        timeseries("Help-call notify errors", "Failed deliveries by reason (each is retried; `unconfigured`: no "
                   "webhook_url), and notices still waiting.",
                   [("sum by (reason) (increase(cl_helpcall_notify_errors_total[$__rate_interval]))", "{{reason}}"),
                    ("cl_helpcall_notices_pending", "pending notices")],
                   (0, y + 13, 12, 8)),
        timeseries("Help calls without anyone on duty", "Calls that found nobody on duty to notify, per county "
                   "(a gap in the roster).",
                   [("sum by (county) (increase(cl_helpcalls_nobody_on_duty_total[$__rate_interval]))", "{{county}}")],
                   (12, y + 13, 12, 8)),
    ]  # fmt: skip


def render_all() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {
        f"{d['uid']}.json": json.dumps(d, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for d in (fleet(), hub())
    }


def main() -> int:
    """Write every dashboard into dashboards/grafana/."""
    OUT.mkdir(exist_ok=True)
    for name, text in render_all().items():
        (OUT / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {OUT / name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
