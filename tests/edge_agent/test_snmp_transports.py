"""Both transports against a real net-snmp snmpd, checked against snmpget/snmpbulkwalk.

The agent's own codec (v1/v2c) and pysnmp (v3, and v2c for comparison) must read the same values.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from edge_agent.auths import AuthConfig
from edge_agent.collect import DeviceCollector
from edge_agent.errors import SnmpAuthError, SnmpTimeout
from edge_agent.modules import load_modules
from edge_agent.snmp import pysnmp_transport
from edge_agent.snmp.pysnmp_transport import PysnmpTransport
from edge_agent.snmp.transport import SnmpTransport, SnmpType, SnmpValue
from edge_agent.snmp.v2c import UdpDispatcher, V2cTransport
from edge_agent.snmp.walk import Walker
from tests.support.ports import free_port
from tests.support.services import Snmpd, need

pytestmark = pytest.mark.snmpd

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1.1"
IF_TABLE = "1.3.6.1.2.1.2.2"
_NET_SNMP_TYPES = {
    "STRING": SnmpType.OCTET_STRING,
    "Hex-STRING": SnmpType.OCTET_STRING,
    "INTEGER": SnmpType.INTEGER,
    "Counter32": SnmpType.COUNTER32,
    "Counter64": SnmpType.COUNTER64,
    "Gauge32": SnmpType.GAUGE32,
    "Timeticks": SnmpType.TIMETICKS,
    "OID": SnmpType.OID,
    "IpAddress": SnmpType.IPADDRESS,
}
_COUNTERS = {SnmpType.COUNTER32, SnmpType.COUNTER64}


def _net_snmp(tool: str, agent: Snmpd, oid: str) -> dict[str, SnmpValue]:
    """OID -> value as net-snmp reads it (numeric OIDs, numeric enums, no MIBs)."""
    out = subprocess.run(
        [need(tool), "-v2c", "-c", agent.community, "-On", "-Oe", f"{agent.host}:{agent.port}", oid],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env=dict(os.environ, MIBS=""),
    ).stdout
    values: dict[str, SnmpValue] = {}
    for line in out.splitlines():
        name, _, rest = line.partition(" = ")
        kind, _, text = rest.partition(": ")
        if rest == '""':  # net-snmp prints an empty OCTET STRING without its type
            kind, text = "STRING", ""
        if kind not in _NET_SNMP_TYPES:
            continue
        snmp_type = _NET_SNMP_TYPES[kind]
        value: int | bytes | str
        if kind == "Timeticks":  # "(66475) 0:11:04.75"
            value = int(text.split(")")[0].lstrip("("))
        elif kind == "Hex-STRING":
            value = bytes.fromhex(text.replace(" ", ""))
        elif snmp_type == SnmpType.OCTET_STRING:
            value = text.strip('"').encode()
        elif snmp_type in (SnmpType.OID, SnmpType.IPADDRESS):
            value = text.lstrip(".")
        else:
            value = int(text)
        values[name.lstrip(".")] = SnmpValue(snmp_type, value)
    return values


@pytest.fixture
async def engine() -> AsyncIterator[Any]:
    eng = pysnmp_transport.new_engine()
    yield eng
    pysnmp_transport.close_engine(eng)


@pytest.fixture(params=["own", "pysnmp"])
def v2c(request: pytest.FixtureRequest, engine: Any, dispatcher: UdpDispatcher) -> Any:
    """Builds a v2c transport on the agent's codec or on pysnmp."""

    def build(agent: Snmpd, **kwargs: Any) -> SnmpTransport:
        if request.param == "own":
            return V2cTransport(dispatcher, address=agent.host, port=agent.port, community=agent.community)
        auth = AuthConfig(version="2c", community=SecretStr(agent.community))
        return PysnmpTransport(engine, address=agent.host, port=agent.port, auth=auth, **kwargs)

    return build


async def _walk(transport: SnmpTransport, subtree: str, **kwargs: Any) -> list[Any]:
    result = (await Walker(transport, **kwargs).walk([subtree]))[subtree]
    assert isinstance(result, list), result
    return result


async def test_get_sys_uptime_matches_snmpget(v2c: Any, snmpd: Snmpd) -> None:
    transport = v2c(snmpd)
    before = _net_snmp("snmpget", snmpd, SYS_UPTIME)[SYS_UPTIME]
    [(oid, value)] = await transport.get([SYS_UPTIME])
    after = _net_snmp("snmpget", snmpd, SYS_UPTIME)[SYS_UPTIME]
    assert oid == SYS_UPTIME
    assert value.type == before.type == SnmpType.TIMETICKS
    assert isinstance(value.value, int)
    assert isinstance(before.value, int)
    assert isinstance(after.value, int)
    assert before.value <= value.value <= after.value
    assert transport.stats.requests == transport.stats.responses == 1


async def test_get_of_absent_instance_is_not_an_error(v2c: Any, snmpd: Snmpd) -> None:
    [(_, value)] = await v2c(snmpd).get(["1.3.6.1.2.1.1.99.0"])
    assert not value.present


@pytest.mark.parametrize("subtree", [IF_X_TABLE, IF_TABLE])
async def test_if_mib_walk_matches_snmpbulkwalk(v2c: Any, snmpd: Snmpd, subtree: str) -> None:
    transport = v2c(snmpd)
    before = _net_snmp("snmpbulkwalk", snmpd, subtree)
    rows = dict(await _walk(transport, subtree, max_repetitions=10))
    after = _net_snmp("snmpbulkwalk", snmpd, subtree)

    assert list(rows) == list(before) == list(after)  # same OIDs in the same order
    if_names = [v.value for k, v in rows.items() if k.startswith(f"{IF_X_TABLE}.1.")]
    if subtree == IF_X_TABLE:
        assert b"lo" in if_names  # the loopback interface is there
    for oid, value in rows.items():
        assert value.type == before[oid].type, oid
        if value.type in _COUNTERS:
            # Our own SNMP traffic runs over lo, so counters move; they must lie between the reads.
            assert before[oid].value <= value.value <= after[oid].value, oid  # type: ignore[operator]
        elif before[oid] == after[oid]:
            assert value == before[oid], oid
    assert transport.stats.responses >= len(rows) // 10
    assert transport.stats.timeouts == 0


async def test_walk_stops_at_the_end_of_the_subtree(v2c: Any, snmpd: Snmpd) -> None:
    rows = await _walk(v2c(snmpd), f"{IF_X_TABLE}.1")
    assert rows
    assert all(oid.startswith(f"{IF_X_TABLE}.1.") for oid, _ in rows)


async def test_silent_port_is_a_timeout(engine: Any, dispatcher: UdpDispatcher) -> None:
    auth = AuthConfig(version="2c", community=SecretStr("public"))
    port = free_port()
    pysnmp_side = PysnmpTransport(engine, address="127.0.0.1", port=port, auth=auth, timeout=0.2, retries=0)
    own = V2cTransport(dispatcher, address="127.0.0.1", port=port, community="public", timeout=0.1, retries=2)
    for transport in (pysnmp_side, own):
        with pytest.raises(SnmpTimeout):
            await transport.get([SYS_UPTIME])
        with pytest.raises(SnmpTimeout):
            await transport.get_bulk([IF_X_TABLE], 10)
        assert transport.stats.timeouts == 2
    assert own.stats.retries == 4  # two resends per request, then the timeout


async def test_snmpv1_reads_the_same_values(dispatcher: UdpDispatcher, snmpd: Snmpd) -> None:
    v1 = V2cTransport(dispatcher, address=snmpd.host, port=snmpd.port, community=snmpd.community, version=0)
    assert not v1.supports_bulk
    values = dict(await v1.get([SYS_UPTIME, "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.99.0"]))
    assert (
        values["1.3.6.1.2.1.1.5.0"] == _net_snmp("snmpget", snmpd, "1.3.6.1.2.1.1.5.0")["1.3.6.1.2.1.1.5.0"]
    )
    assert not values["1.3.6.1.2.1.1.99.0"].present  # v1's noSuchName, asked again without it
    names = await _walk(v1, f"{IF_X_TABLE}.1")
    assert [oid for oid, _ in names] == list(_net_snmp("snmpbulkwalk", snmpd, f"{IF_X_TABLE}.1"))


def _v3(snmpd: Snmpd, auth_password: str) -> AuthConfig:
    return AuthConfig(
        version="3",
        username=snmpd.v3_user,
        auth_protocol="SHA",
        auth_password=SecretStr(auth_password),
        priv_protocol="AES",
        priv_password=SecretStr(snmpd.v3_priv),
    )


async def test_v3_auth_priv_works_and_a_wrong_key_is_an_auth_error(engine: Any, snmpd: Snmpd) -> None:
    good = PysnmpTransport(engine, address=snmpd.host, port=snmpd.port, auth=_v3(snmpd, snmpd.v3_auth))
    [(_, name)] = await good.get(["1.3.6.1.2.1.1.5.0"])
    assert name.type == SnmpType.OCTET_STRING
    assert name == _net_snmp("snmpget", snmpd, "1.3.6.1.2.1.1.5.0")["1.3.6.1.2.1.1.5.0"]
    assert await _walk(good, f"{IF_X_TABLE}.1")

    bad = PysnmpTransport(
        engine, address=snmpd.host, port=snmpd.port, auth=_v3(snmpd, "wrong-password"), timeout=0.5, retries=0
    )
    with pytest.raises(SnmpAuthError):
        await bad.get([SYS_UPTIME])
    assert bad.stats.errors == {"auth": 1}


async def test_host_resources_module_on_a_real_snmpd(dispatcher: UdpDispatcher, snmpd: Snmpd) -> None:
    transport = V2cTransport(dispatcher, address=snmpd.host, port=snmpd.port, community=snmpd.community)
    cycle = await DeviceCollector(
        [load_modules(["host_resources"])["host_resources"]], Walker(transport)
    ).poll(1e9)
    assert cycle.errors == []
    samples = {(s.name, s.labels.get("storage", "")): s.value for s in cycle.samples}
    units = _net_snmp("snmpget", snmpd, "1.3.6.1.2.1.25.2.3.1.4.1")["1.3.6.1.2.1.25.2.3.1.4.1"].value
    size = _net_snmp("snmpget", snmpd, "1.3.6.1.2.1.25.2.3.1.5.1")["1.3.6.1.2.1.25.2.3.1.5.1"].value
    assert isinstance(units, int)
    assert isinstance(size, int)
    assert samples[("hr_storage_size_bytes", "Physical memory")] == size * units
    date = samples[("hr_system_date_seconds", "")]
    assert abs(date - time.time()) < 120  # the host's clock, as a DateAndTime
