"""Coverage and map families for /metrics, from one evaluation and the fleet file.

Labels are area codes (bounded by the fleet file), never free text from nodes. Unknown
verdicts are left out rather than exposed as 0, so "down" always means measured down;
the county counts say how much is unknown. ``*_info`` families carry names and
coordinates for Grafana's geomap; they change only with the fleet file, so they are
built once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric

from contract.fleet import Fleet
from hub.coverage.model import Coverage, Verdict

Totals = Mapping[tuple[str, str, str], float]


def geo_families(fleet: Fleet) -> tuple[Metric, ...]:
    """The static ``*_info`` families of the fleet: areas, base stations, uplinks, kiosks."""
    index = fleet.index
    county = InfoMetricFamily("cl_county", "Counties of the fleet file (value 1).", labels=("county", "name"))
    for c in fleet.counties:
        county.add_metric((c.code, c.name), {})
    township = InfoMetricFamily(
        "cl_township",
        "Townships with the coordinates of their seat, for maps (value 1).",
        labels=("township", "name", "county", "lat", "lon"),
    )
    for t in fleet.townships:
        township.add_metric((t.code, t.name, t.county, _deg(t.lat), _deg(t.lon)), {})
    village = InfoMetricFamily(
        "cl_village",
        "Villages with their coordinates, for maps (value 1).",
        labels=("village", "name", "township", "county", "lat", "lon"),
    )
    for v in fleet.villages:
        village.add_metric(
            (v.code, v.name, v.township, index.townships[v.township].county, _deg(v.lat), _deg(v.lon)), {}
        )
    location = InfoMetricFamily(
        "cl_device_location",
        "Where each base station and OLT uplink stands (value 1); join on device with cl_device_up.",
        labels=("device", "kind", "site", "township", "village", "lat", "lon"),
    )
    for d in fleet.devices:
        if d.kind != "ups":  # a UPS stands at its site's coordinates; the map needs no second point
            site = index.sites[d.site]
            location.add_metric(
                (d.id, d.kind, site.id, site.township, site.village or "", _deg(site.lat), _deg(site.lon)), {}
            )
    kiosk = InfoMetricFamily(
        "cl_kiosk_location",
        "Where each kiosk stands (value 1); join on node with cl_node_up.",
        labels=("node", "village", "lat", "lon"),
    )
    for k in fleet.kiosks:
        site = index.sites[k.site]
        kiosk.add_metric((k.id, k.village, _deg(site.lat), _deg(site.lon)), {})
    return (county, township, village, location, kiosk)


class CoverageCollector:
    """Gauges of one evaluation and the availability counters."""

    def __init__(self, coverage: Coverage | None, known: Totals, up: Totals, geo: tuple[Metric, ...]) -> None:
        self._cov = coverage
        self._known = known
        self._up = up
        self._geo = geo

    def collect(self) -> Iterator[Metric]:
        """Yield the families (render thread)."""
        yield from self._geo
        cov = self._cov
        if cov is None:
            return
        yield _verdicts(
            "cl_village_covered",
            "1 when 5G cells and backhaul serving the village are up.",
            "village",
            ((c, v.covered) for c, v in cov.villages.items()),
        )
        yield _verdicts(
            "cl_village_service",
            "1 when the village is covered and its kiosk (if any) is reachable.",
            "village",
            ((c, v.service) for c, v in cov.villages.items()),
        )
        yield _verdicts(
            "cl_village_kiosk_up",
            "1 when a kiosk of the village is reachable (villages with kiosks).",
            "village",
            ((c, v.kiosk) for c, v in cov.villages.items() if v.has_kiosk),
        )
        yield _verdicts(
            "cl_township_dual_gigabit",
            "1 when both gigabit OLT uplinks of the township are up.",
            "township",
            ((c, t.dual_gigabit) for c, t in cov.townships.items()),
        )
        yield _verdicts(
            "cl_township_covered",
            "1 when the township has backhaul and at least one serving gNB.",
            "township",
            ((c, t.covered) for c, t in cov.townships.items()),
        )
        uplinks = GaugeMetricFamily(
            "cl_township_uplinks_up", "OLT uplinks of the township measured up (0-2).", labels=("township",)
        )
        for code, t in cov.townships.items():
            uplinks.add_metric((code,), t.uplinks_up)
        yield uplinks
        townships = GaugeMetricFamily(
            "cl_county_townships",
            "Townships by whether both uplinks are up (yes/no/unknown).",
            labels=("county", "dual_gigabit"),
        )
        villages = GaugeMetricFamily(
            "cl_county_villages",
            "Villages by whether 5G service is available (yes/no/unknown).",
            labels=("county", "covered"),
        )
        for code, c in cov.counties.items():
            for word in ("yes", "no", "unknown"):
                townships.add_metric((code, word), c.dual_gigabit[word])
                villages.add_metric((code, word), c.covered[word])
        yield townships
        yield villages
        total_t = sum(c.townships for c in cov.counties.values())
        total_v = sum(c.villages for c in cov.counties.values())
        yield GaugeMetricFamily(
            "cl_coverage_townships_dual_gigabit_ratio",
            "Share of all townships with both gigabit uplinks measured up (unknown counts as not).",
            value=sum(c.dual_gigabit["yes"] for c in cov.counties.values()) / total_t if total_t else 0.0,
        )
        yield GaugeMetricFamily(
            "cl_coverage_villages_covered_ratio",
            "Share of all villages with 5G service measured available (unknown counts as not).",
            value=sum(c.covered["yes"] for c in cov.counties.values()) / total_v if total_v else 0.0,
        )
        known = CounterMetricFamily(
            "cl_coverage_known_seconds",
            "Seconds a township's or county's coverage was measured (not unknown), by measure.",
            labels=("level", "area", "measure"),
        )
        up = CounterMetricFamily(
            "cl_coverage_up_seconds",
            "Of those seconds, the ones with coverage up (county: weighted by the share of areas up).",
            labels=("level", "area", "measure"),
        )
        for key in sorted(self._known):
            if key[0] != "village":  # villages: history in SQLite and the API; 1,760 x 2 series is too many
                known.add_metric(key, self._known[key])
                up.add_metric(key, self._up.get(key, 0.0))
        yield known
        yield up


def _verdicts(name: str, help_: str, label: str, rows: Iterator[tuple[str, Verdict]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_, labels=(label,))
    for code, verdict in rows:
        if verdict is not None:
            family.add_metric((code,), 1.0 if verdict else 0.0)
    return family


def _deg(value: float) -> str:
    return f"{value:.5f}"
