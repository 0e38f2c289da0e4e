"""The pysnmp transport against a real net-snmp snmpd, checked against snmpget/snmpbulkwalk."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from edge_agent.config import AuthConfig
from edge_agent.errors import SnmpAuthError, SnmpTimeout
from edge_agent.snmp import pysnmp_transport
from edge_agent.snmp.pysnmp_transport import PysnmpTransport
from edge_agent.snmp.transport import SnmpType, SnmpValue
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


def _v2c(engine: Any, agent: Snmpd, **kwargs: Any) -> PysnmpTransport:
    auth = AuthConfig(version="2c", community=SecretStr(agent.community))
    return PysnmpTransport(engine, address=agent.host, port=agent.port, auth=auth, **kwargs)


async def test_get_sys_uptime_matches_snmpget(engine: Any, snmpd: Snmpd) -> None:
    transport = _v2c(engine, snmpd)
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


async def test_get_of_absent_instance_is_not_an_error(engine: Any, snmpd: Snmpd) -> None:
    [(_, value)] = await _v2c(engine, snmpd).get(["1.3.6.1.2.1.1.99.0"])
    assert not value.present


@pytest.mark.parametrize("subtree", [IF_X_TABLE, IF_TABLE])
async def test_if_mib_walk_matches_snmpbulkwalk(engine: Any, snmpd: Snmpd, subtree: str) -> None:
    transport = _v2c(engine, snmpd, max_repetitions=10)
    before = _net_snmp("snmpbulkwalk", snmpd, subtree)
    rows = dict(await transport.walk(subtree))
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


async def test_walk_stops_at_the_end_of_the_subtree(engine: Any, snmpd: Snmpd) -> None:
    rows = await _v2c(engine, snmpd).walk(f"{IF_X_TABLE}.1")
    assert rows
    assert all(oid.startswith(f"{IF_X_TABLE}.1.") for oid, _ in rows)


async def test_silent_port_is_a_timeout(engine: Any) -> None:
    auth = AuthConfig(version="2c", community=SecretStr("public"))
    transport = PysnmpTransport(
        engine, address="127.0.0.1", port=free_port(), auth=auth, timeout=0.2, retries=0
    )
    with pytest.raises(SnmpTimeout):
        await transport.get([SYS_UPTIME])
    with pytest.raises(SnmpTimeout):
        await transport.walk(IF_X_TABLE)
    assert transport.stats.timeouts == 2


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
    assert await good.walk(f"{IF_X_TABLE}.1")

    bad = PysnmpTransport(
        engine, address=snmpd.host, port=snmpd.port, auth=_v3(snmpd, "wrong-password"), timeout=0.5, retries=0
    )
    with pytest.raises(SnmpAuthError):
        await bad.get([SYS_UPTIME])
    assert bad.stats.errors == {"auth": 1}
