"""The agent's IF-MIB values equal Debian's prometheus-snmp-exporter's for the same agent.

Both walk the same real snmpd on loopback: snmp_exporter 0.21 with the upstream
``if_mib`` module of that version (tests/edge_agent/fixtures, copied from the
shared reference data), the agent with its own ``if_mib`` module and codec. The
loopback interface's counters move with our own SNMP traffic, so each exporter
counter must lie between the agent's readings just before and just after it;
everything that does not move must be equal. Skipped only when the
``prometheus-snmp-exporter`` binary is missing (scripts/setup should install it).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.payloads import Sample
from edge_agent.modules import load_modules
from edge_agent.snmp.v2c import UdpDispatcher, V2cTransport
from tests.edge_agent.conftest import FIXTURES, collector
from tests.support.ports import free_port, wait_tcp
from tests.support.services import Process, Snmpd

pytestmark = [pytest.mark.snmpd, pytest.mark.slow]

EXPORTER = shutil.which("prometheus-snmp-exporter")
# exporter metric -> agent metric (same ifName label) for the counters.
COUNTERS = {
    "ifHCInOctets": "if_hc_in_octets",
    "ifHCOutOctets": "if_hc_out_octets",
    "ifHCInUcastPkts": "if_hc_in_ucast_pkts",
    "ifHCOutUcastPkts": "if_hc_out_ucast_pkts",
    "ifInErrors": "if_in_errors",
    "ifOutErrors": "if_out_errors",
}
STATES = {"ifOperStatus": "if_oper_status", "ifAdminStatus": "if_admin_status"}


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[str]:
    if EXPORTER is None:
        pytest.skip("prometheus-snmp-exporter is not installed: add the Debian package to scripts/setup")
    port = free_port()
    process = Process(
        [
            EXPORTER,
            f"--config.file={FIXTURES / 'snmp_exporter_0.21_if_mib.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        tmp_path / "exporter.log",
    )
    process.start()
    try:
        wait_tcp("127.0.0.1", port, timeout=15)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


def _scrape(url: str) -> dict[tuple[str, str], float]:
    """(metric, ifName) -> value, plus (sysUpTime, "") from an exporter scrape."""
    with urllib.request.urlopen(url, timeout=20) as resp:
        text = resp.read().decode()
    values: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        found = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not found or line.startswith("#"):
            continue
        name, labels, value = found.groups()
        if_name = re.search(r'ifName="([^"]*)"', labels or "")
        values[(name, if_name.group(1) if if_name else "")] = float(value)
    return values


def _agent(samples: list[Sample]) -> dict[tuple[str, str], float]:
    """(metric, ifname) -> value of the agent's numeric samples (statesets are compared apart)."""
    return {
        (s.name, s.labels.get("ifname", "")): float(s.value) for s in samples if s.name not in STATES.values()
    }


async def test_if_mib_values_equal_snmp_exporters(
    exporter: str, snmpd: Snmpd, dispatcher: UdpDispatcher
) -> None:
    modules = load_modules(["system", "if_mib"])
    transport = V2cTransport(dispatcher, address=snmpd.host, port=snmpd.port, community=snmpd.community)
    device = collector([modules["system"], modules["if_mib"]], transport)
    enum = {
        "if_oper_status": next(m for m in modules["if_mib"].metrics if m.name == "if_oper_status").enum,
        "if_admin_status": next(m for m in modules["if_mib"].metrics if m.name == "if_admin_status").enum,
    }
    before = await device.poll(1e9)
    theirs = await asyncio.to_thread(
        _scrape, f"{exporter}/snmp?target={snmpd.host}:{snmpd.port}&module=if_mib"
    )
    after = await device.poll(1e9 + 1)
    assert before.errors == after.errors == []
    first, last = _agent(before.samples), _agent(after.samples)
    interfaces = sorted({if_name for (name, if_name) in theirs if name == "ifHCInOctets"})
    assert "lo" in interfaces

    compared = 0
    for if_name in interfaces:
        for their_name, ours in COUNTERS.items():
            value = theirs[(their_name, if_name)]
            assert first[(ours, if_name)] <= value <= last[(ours, if_name)], (their_name, if_name)
            if first[(ours, if_name)] == last[(ours, if_name)]:
                assert value == first[(ours, if_name)]
            compared += 1
        for their_name, ours in STATES.items():
            code = int(theirs[(their_name, if_name)])
            state = next(
                s for s in before.samples if s.name == ours and s.labels["ifname"] == if_name and s.value == 1
            )
            assert enum[ours][code] == state.labels[ours], (their_name, if_name)
            compared += 1
        assert theirs[("ifHighSpeed", if_name)] * 125_000 == first[("if_speed_bytes_per_second", if_name)]
        compared += 1
    uptime = theirs[("sysUpTime", "")]
    assert first[("sys_uptime_seconds", "")] * 100 <= uptime <= last[("sys_uptime_seconds", "")] * 100
    assert compared >= 9 * len(interfaces)
