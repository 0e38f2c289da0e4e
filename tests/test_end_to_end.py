"""The whole path: simulator -> edge agent -> Mosquitto -> hub -> /metrics -> Prometheus.

Every part is the real program in its own process, talking real SNMP over UDP
and real MQTT; the reference value is read with net-snmp's snmpget.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.support.services import Mosquitto, Prometheus, need
from tests.support.stack import Stack, cunlink, http_get, http_post_json, metric_value

pytestmark = [pytest.mark.mosquitto, pytest.mark.snmpd, pytest.mark.slow]

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet") / "fleet.yaml"
    subprocess.run(cunlink("fleet", "generate", "--seed", "7", "--out", str(out)), check=True, timeout=120)
    return out


@pytest.fixture
def stack(tmp_path: Path, fleet: Path, mosquitto: Mosquitto) -> Iterator[Stack]:
    running = Stack(tmp_path, fleet, mosquitto.port)
    running.start()
    yield running
    running.stop()


def _first_gnb(stack: Stack) -> str:
    config = yaml.safe_load(stack.agent_config.read_text(encoding="utf-8"))
    return next(t["device"] for t in config["targets"] if t["kind"] == "gnb")


def _snmp(tool: str, stack: Stack, device: str, oid: str) -> dict[str, str]:
    """OID -> value as net-snmp prints it (-Oqn: numeric OIDs, bare values)."""
    out = subprocess.run(
        [
            need(tool),
            "-v2c",
            "-c",
            f"public@{device}",
            "-On",
            "-Oq",
            "-t",
            "2",
            "-r",
            "1",
            f"127.0.0.1:{stack.sim_info['port']}",
            oid,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {k.lstrip("."): v.strip().strip('"') for k, v in pairs}


def _wait_for(check: Callable[[], object], timeout: float, stack: Stack, what: str) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen within {timeout} s\n{stack.logs()}")
        time.sleep(0.25)


def test_counter_on_metrics_equals_snmpget(stack: Stack) -> None:
    device = _first_gnb(stack)
    names = _snmp("snmpbulkwalk", stack, device, IF_NAME)
    index, ifname = next(iter(names.items()))
    index = index.rsplit(".", 1)[1]
    labels = {"device": device, "ifname": ifname}

    # Live values flow: the series appears and moves.
    first = _wait_for(
        lambda: metric_value(http_get(f"{stack.hub_url}/metrics"), "cl_if_hc_in_octets_total", labels),
        30,
        stack,
        "ifHCInOctets on /metrics",
    )

    # Freeze the simulator's clock so the counter holds still, then read it with net-snmp.
    http_post_json(f"{stack.control_url}/clock", {"frozen": True})
    expected = int(
        _snmp("snmpget", stack, device, f"{IF_HC_IN_OCTETS}.{index}")[f"{IF_HC_IN_OCTETS}.{index}"]
    )
    assert expected >= int(first)  # type: ignore[call-overload]

    def same() -> bool:
        value = metric_value(http_get(f"{stack.hub_url}/metrics"), "cl_if_hc_in_octets_total", labels)
        return value is not None and int(value) == expected

    # Within one poll interval (plus delivery slack) the hub shows exactly what snmpget read.
    _wait_for(same, stack.interval + 3, stack, f"cl_if_hc_in_octets_total == {expected}")


def test_prometheus_scrapes_the_hub_and_promtool_accepts_it(
    stack: Stack, prometheus_factory: Callable[[list[str]], Prometheus]
) -> None:
    device = _first_gnb(stack)
    _wait_for(
        lambda: metric_value(http_get(f"{stack.hub_url}/metrics"), "cl_device_up", {"device": device}),
        30,
        stack,
        "cl_device_up",
    )
    exposition = http_get(f"{stack.hub_url}/metrics")
    check = subprocess.run(
        [need("promtool"), "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    prom = prometheus_factory([f"127.0.0.1:{stack.http_port}"])
    query = urllib.parse.quote(f'cl_if_hc_in_octets_total{{device="{device}"}}')

    def scraped() -> bool:
        try:
            body = json.loads(http_get(f"{prom.url}/api/v1/query?query={query}"))
        except OSError:
            return False
        return bool(body["data"]["result"])

    _wait_for(scraped, 30, stack, "the counter in Prometheus")
    up = json.loads(http_get(f"{prom.url}/api/v1/query?query=up"))["data"]["result"]
    assert [r["value"][1] for r in up] == ["1"]
