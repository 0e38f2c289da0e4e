"""What /metrics shows for a given state: names, labels, types, no timestamps, dead series gone."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from contract import payloads as p
from contract.topics import NodeKind
from hub.metrics.exposition import render
from tests.hub.conftest import Harness, make_harness
from tests.hub.messages import PLACE, FakeNode, cpu, octets

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _series(text: str) -> Series:
    out: Series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert sample.timestamp is None, sample
            # Prometheus drops empty-valued labels on ingest, so compare without them.
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if v))
            out[(sample.name, labels)] = sample.value
    return out


def _types(text: str) -> dict[str, str]:
    return {f.name: f.type for f in text_string_to_metric_families(text)}


def _fleet() -> Harness:
    return _fleet_and_agent()[0]


def _fleet_and_agent() -> tuple[Harness, FakeNode]:
    h = make_harness()
    agent = FakeNode("edge-1")
    h.send(agent.birth(devices=["gnb-1", "gnb-2"], labels=PLACE))
    h.send(agent.device_birth("gnb-1", labels={"site": "s-009"}))
    h.send(agent.device_birth("gnb-2"))
    h.send(agent.data("gnb-1", octets("eth0", 1e12), octets("eth1", 7), cpu(0.5)))
    h.send(agent.data("gnb-1", p.Sample(name="radio", value=1, labels={"band": "n41"})))
    h.send(agent.data("gnb-2", cpu(0.25)))
    return h, agent


def test_device_samples_inventory_and_self_metrics() -> None:
    text = render(_fleet().snapshot()).body.decode()
    series = _series(text)
    assert series[("cl_if_hc_in_octets_total", (("device", "gnb-1"), ("ifname", "eth0")))] == 1e12
    assert series[("cl_cpu_usage_ratio", (("device", "gnb-2"),))] == 0.25
    assert series[("cl_radio_info", (("band", "n41"), ("device", "gnb-1")))] == 1
    # The device's own labels win; missing ones come from its agent's BIRTH.
    info = next(dict(k[1]) for k in series if k[0] == "cl_device_info" and ("device", "gnb-1") in k[1])
    assert info == {
        "device": "gnb-1",
        "kind": "gnb",
        "node": "edge-1",
        "county": "bazhou",
        "township": "dongcheng",
        "village": "qinglong",
        "site": "s-009",
    }
    assert series[("cl_device_up", (("device", "gnb-1"),))] == 1
    assert series[("cl_node_up", (("kind", "agent"), ("node", "edge-1")))] == 1
    assert series[("cl_hub_nodes", (("kind", "agent"), ("state", "online")))] == 1
    assert series[("cl_hub_messages_total", (("status", "ok"), ("verb", "DATA")))] == 3
    assert series[("cl_hub_series", ())] == 5
    types = _types(text)
    assert types["cl_if_hc_in_octets"] == "counter"
    assert types["cl_cpu_usage_ratio"] == "gauge"
    assert types["cl_hub_messages"] == "counter"


def test_docs_describe_every_hub_family() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "hub.md").read_text(encoding="utf-8")
    names = {
        s.name.removesuffix("_total") if f.type == "counter" else s.name
        for f in text_string_to_metric_families(render(_fleet().snapshot()).body.decode())
        for s in f.samples
        if s.name.startswith(("cl_hub", "cl_device", "cl_node"))
    }
    assert sorted(n for n in names if f"`{n}" not in docs) == []


def test_series_of_a_dead_device_disappear_but_up_and_info_stay() -> None:
    h, agent = _fleet_and_agent()
    h.send(agent.device_death("gnb-1"))
    series = _series(render(h.snapshot()).body.decode())
    assert not [k for k in series if ("device", "gnb-1") in k[1] and not k[0].startswith("cl_device_")]
    assert series[("cl_device_up", (("device", "gnb-1"),))] == 0
    assert any(k[0] == "cl_device_info" and ("device", "gnb-1") in k[1] for k in series)
    assert series[("cl_cpu_usage_ratio", (("device", "gnb-2"),))] == 0.25


def test_node_samples_and_label_union() -> None:
    h = make_harness()
    kiosk = FakeNode("kiosk-1", NodeKind.KIOSK)
    h.send(kiosk.birth(metrics=[p.MetricDef(name="sessions", type="counter", labels=["service"])]))
    h.send(kiosk.data(None, p.Sample(name="sessions", value=3, labels={"service": "pension"})))
    agent = FakeNode("edge-1")
    h.send(agent.birth(devices=["ups-1"]))
    h.send(agent.device_birth("ups-1", kind="ups", metrics=[p.MetricDef(name="sessions", type="counter")]))
    h.send(agent.data("ups-1", p.Sample(name="sessions", value=4)))
    text = render(h.snapshot()).body.decode()
    series = _series(text)
    # One family, node and device series side by side; a label a series lacks is empty (absent).
    assert series[("cl_sessions_total", (("node", "kiosk-1"), ("service", "pension")))] == 3
    assert series[("cl_sessions_total", (("device", "ups-1"),))] == 4
    assert text.count("# TYPE cl_sessions_total counter") == 1


def test_agent_health_may_be_labelled_by_device() -> None:
    h = make_harness()
    agent = FakeNode("edge-1")
    poll = p.MetricDef(name="edge_poll_duration_seconds", type="gauge", labels=["device"])
    h.send(agent.birth(devices=["gnb-1"], metrics=[poll]))
    h.send(
        agent.device_birth("gnb-1", metrics=[p.MetricDef(name="edge_poll_duration_seconds", type="gauge")])
    )
    h.send(
        agent.data(None, p.Sample(name="edge_poll_duration_seconds", value=0.2, labels={"device": "gnb-1"}))
    )
    h.send(agent.data("gnb-1", p.Sample(name="edge_poll_duration_seconds", value=9)))
    series = _series(render(h.snapshot()).body.decode())
    assert series[("cl_edge_poll_duration_seconds", (("device", "gnb-1"), ("node", "edge-1")))] == 0.2
    # The device's own series would give "device" a second meaning in the family: left out.
    assert ("cl_edge_poll_duration_seconds", (("device", "gnb-1"),)) not in series
    assert series[("cl_hub_series_conflicts", ())] == 1


def test_type_conflict_keeps_one_type_and_counts_the_rest() -> None:
    h = make_harness()
    agent = FakeNode()
    h.send(agent.birth(devices=["a", "b"]))
    h.send(agent.device_birth("a", metrics=[p.MetricDef(name="temp", type="gauge")]))
    h.send(agent.device_birth("b", metrics=[p.MetricDef(name="temp", type="counter")]))
    h.send(agent.data("a", p.Sample(name="temp", value=1)))
    h.send(agent.data("b", p.Sample(name="temp", value=2)))
    series = _series(render(h.snapshot()).body.decode())
    assert series[("cl_temp", (("device", "a"),))] == 1
    assert not [k for k in series if k[0].startswith("cl_temp") and ("device", "b") in k[1]]
    assert series[("cl_hub_series_conflicts", ())] == 1


def test_openmetrics_is_negotiated_and_valid() -> None:
    rendered = render(_fleet().snapshot(), accept="application/openmetrics-text; version=1.0.0")
    assert rendered.content_type.startswith("application/openmetrics-text")
    text = rendered.body.decode()
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(text)}
    assert families["cl_device"].type == "info"
    assert families["cl_if_hc_in_octets"].type == "counter"


def test_text_format_by_default_and_gzip_on_request() -> None:
    plain = render(_fleet().snapshot())
    assert plain.content_type.startswith("text/plain; version=0.0.4")
    zipped = render(_fleet().snapshot(), accept_encoding="gzip, deflate")
    assert zipped.gzipped
    assert gzip.decompress(zipped.body).splitlines()[:5] == plain.body.splitlines()[:5]


@pytest.mark.prometheus
def test_promtool_accepts_the_exposition() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    h = _fleet()
    agent = FakeNode("edge-2")
    h.send(agent.birth(devices=["olt-1"]))
    h.send(
        agent.device_birth(
            "olt-1",
            kind="olt",
            metrics=[
                p.MetricDef(name="pon_rx_power_dbm", type="gauge", labels=["port"]),
                p.MetricDef(name="ont_state", type="stateset", labels=["port", "state"]),
                p.MetricDef(name="uplink_errors_total", type="counter", labels=["ifname"]),
            ],
        )
    )
    h.send(
        agent.data(
            "olt-1",
            p.Sample(name="pon_rx_power_dbm", value=-21.5, labels={"port": "0/1"}),
            p.Sample(name="ont_state", value=1, labels={"port": "0/1", "state": "up"}),
            p.Sample(name="uplink_errors_total", value=3, labels={"ifname": 'xe-0/0/0 "wan"'}),
        )
    )
    text = render(h.snapshot()).body.decode()
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'ifname="xe-0/0/0 \\"wan\\""' in text
