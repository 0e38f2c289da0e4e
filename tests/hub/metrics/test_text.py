"""The text renderer of device and node samples: valid, escaped, and right across scrapes.

Each check renders twice where it matters: once from a cold cache and once with the
cache a previous scrape left, because a cache that serves stale lines is the failure
this renderer can have and the old one could not.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from contract import payloads as p
from hub.metrics import text
from hub.metrics.exposition import TextCache, render
from tests.hub.conftest import Harness, make_harness
from tests.hub.messages import PLACE, FakeNode, cpu

OPENMETRICS = "application/openmetrics-text; version=1.0.0"
NASTY = 'say "hi"\\ back\nslash 村口'
PORT = p.MetricDef(name="pon_rx_power_dbm", type="gauge", labels=["port"], help='Rx "power"\\ in dBm\n2nd')
ERRORS = p.MetricDef(name="uplink_errors_total", type="counter", labels=["ifname"])
STATE = p.MetricDef(name="ont_state", type="stateset", labels=["port", "state"])
Key = tuple[str, tuple[tuple[str, str], ...]]


def _samples(text: str, openmetrics: bool = False) -> list[tuple[Key, float]]:
    parse = parse_openmetrics if openmetrics else text_string_to_metric_families
    return [((s.name, tuple(sorted(s.labels.items()))), s.value) for f in parse(text) for s in f.samples]


def _series(text: str) -> dict[Key, float]:
    samples = _samples(text)
    assert [k for k, n in Counter(k for k, _ in samples).items() if n > 1] == []  # no duplicate series
    return dict(samples)


def _fleet() -> tuple[Harness, FakeNode]:
    h = make_harness()
    agent = FakeNode("edge-1")
    h.send(agent.birth(devices=["olt-1", "olt-2"], labels={**PLACE, "village": "青龙村"}))
    for device in ("olt-1", "olt-2"):
        h.send(agent.device_birth(device, kind="olt", metrics=[PORT, ERRORS, STATE], labels={"site": NASTY}))
    h.send(
        agent.data(
            "olt-1",
            p.Sample(name="pon_rx_power_dbm", value=-21.5, labels={"port": NASTY}),
            p.Sample(name="uplink_errors_total", value=3, labels={"ifname": "xe-0/0/0"}),
            p.Sample(name="ont_state", value=1, labels={"port": "0/1", "state": "up"}),
        )
    )
    h.send(agent.data("olt-2", p.Sample(name="pon_rx_power_dbm", value=1e22, labels={"port": "1"})))
    return h, agent


def test_label_values_are_escaped_and_read_back_unchanged() -> None:
    h, _ = _fleet()
    body = render(h.snapshot()).body.decode()
    series = _series(body)
    assert series[("cl_pon_rx_power_dbm", (("device", "olt-1"), ("port", NASTY)))] == -21.5
    assert series[("cl_pon_rx_power_dbm", (("device", "olt-2"), ("port", "1")))] == 1e22
    info = next(dict(k[1]) for k in series if k[0] == "cl_device_info" and ("device", "olt-1") in k[1])
    assert (info["site"], info["village"]) == (NASTY, "青龙村")
    assert 'port="say \\"hi\\"\\\\ back\\nslash 村口"' in body  # escaped once, in the documented order
    assert '# HELP cl_pon_rx_power_dbm Rx "power"\\\\ in dBm\\n2nd\n' in body


def test_help_and_type_once_per_family_in_both_formats() -> None:
    h, _ = _fleet()
    for accept in ("", OPENMETRICS):
        body = render(h.snapshot(), accept=accept).body.decode()
        for kind in ("# HELP ", "# TYPE "):
            names = [line.split()[2] for line in body.splitlines() if line.startswith(kind)]
            assert [n for n, c in Counter(names).items() if c > 1] == [], accept
    plain = render(h.snapshot()).body.decode()
    assert "# TYPE cl_uplink_errors_total counter" in plain
    assert "# TYPE cl_ont_state gauge" in plain  # a stateset is 0/1 gauges
    om = render(h.snapshot(), accept=OPENMETRICS).body.decode()
    assert "# TYPE cl_uplink_errors counter" in om
    assert "# TYPE cl_device info" in om
    # The same samples either way (OpenMetrics adds nothing but its EOF).
    assert sorted(_samples(om, openmetrics=True)) == sorted(_samples(plain))


def test_a_warm_cache_serves_what_a_cold_render_would() -> None:
    h, agent = _fleet()
    cache = TextCache()
    render(h.snapshot(), cache=cache)
    h.send(agent.data("olt-1", p.Sample(name="pon_rx_power_dbm", value=-19.0, labels={"port": NASTY})))
    h.send(agent.data("olt-2", p.Sample(name="uplink_errors_total", value=9, labels={"ifname": "ge-1"})))
    warm = render(h.snapshot(), cache=cache).body
    assert warm == render(h.snapshot()).body
    series = _series(warm.decode())
    assert series[("cl_pon_rx_power_dbm", (("device", "olt-1"), ("port", NASTY)))] == -19.0
    assert series[("cl_uplink_errors_total", (("device", "olt-2"), ("ifname", "ge-1")))] == 9
    assert cache.samples.rebuilt == 2  # only the two devices that sent DATA were formatted again


def test_dead_and_reborn_devices_with_a_warm_cache() -> None:
    h, agent = _fleet()
    cache = TextCache()
    render(h.snapshot(), cache=cache)
    h.send(agent.device_death("olt-1"))
    # olt-2 is born again with other metrics and moves to another place: nothing old stays.
    h.send(agent.device_birth("olt-2", kind="olt", metrics=[p.MetricDef(name="temp", type="gauge")]))
    h.send(agent.data("olt-2", p.Sample(name="temp", value=41)))
    body = render(h.snapshot(), cache=cache).body.decode()
    assert body == render(h.snapshot()).body.decode()
    series = _series(body)
    owners = {
        dict(k[1]).get("device") for k in series if not k[0].startswith(("cl_device", "cl_node", "cl_hub"))
    }
    assert owners == {"olt-2"}
    assert series[("cl_temp", (("device", "olt-2"),))] == 41
    assert series[("cl_device_up", (("device", "olt-1"),))] == 0
    assert not [k for k in series if k[0] == "cl_pon_rx_power_dbm"]
    info = next(dict(k[1]) for k in series if k[0] == "cl_device_info" and ("device", "olt-2") in k[1])
    assert info["site"] == "s-001"


def test_series_cap_drops_and_counts() -> None:
    h = make_harness(max_series=3)
    agent = FakeNode("edge-1")
    h.send(agent.birth(devices=["gnb-1", "gnb-2"]))
    h.send(agent.device_birth("gnb-1"))
    h.send(agent.device_birth("gnb-2"))
    h.send(agent.data("gnb-1", cpu(0.5), p.Sample(name="if_hc_in_octets", value=1, labels={"ifname": "a"})))
    h.send(agent.data("gnb-2", cpu(0.25), p.Sample(name="if_hc_in_octets", value=2, labels={"ifname": "b"})))
    series = _series(render(h.snapshot()).body.decode())
    held = [k for k in series if dict(k[1]).get("device") and not k[0].startswith("cl_device")]
    assert len(held) == 3
    assert series[("cl_hub_series", ())] == 3
    assert series[("cl_hub_series_limit", ())] == 3
    assert series[("cl_hub_series_dropped_total", (("reason", "limit"),))] == 1


def test_values_the_formats_spell_their_own_way() -> None:
    assert [text.value(v) for v in (float("inf"), float("-inf"), float("nan"), 1e22, -0.5)] == [
        "+Inf",
        "-Inf",
        "NaN",
        "1e+22",
        "-0.5",
    ]


@pytest.mark.prometheus
def test_promtool_accepts_the_cached_exposition() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    h, agent = _fleet()
    cache = TextCache()
    render(h.snapshot(), cache=cache)
    h.send(agent.data("olt-2", p.Sample(name="uplink_errors_total", value=1, labels={"ifname": NASTY})))
    body = render(h.snapshot(), cache=cache).body.decode()
    check = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, text=True, timeout=60, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
