"""The walker on the fake transport: columns per PDU, truncation, tooBig, GETNEXT fallback, concurrency."""

from __future__ import annotations

import asyncio

from edge_agent.errors import SnmpError, SnmpTimeout
from edge_agent.snmp.fake import FakeTransport
from edge_agent.snmp.transport import SnmpType, SnmpValue, VarBind
from edge_agent.snmp.walk import Walker

TABLE = "1.3.6.1.2.1.2.2.1"
COLUMNS = [f"{TABLE}.{c}" for c in (2, 7, 8)]


def _device(rows: int = 4) -> FakeTransport:
    values = {f"{col}.{i}": SnmpValue(SnmpType.INTEGER, i) for col in COLUMNS for i in range(1, rows + 1)}
    values["1.3.6.1.2.1.31.1.1.1.1.1"] = SnmpValue(SnmpType.OCTET_STRING, b"after the table")
    return FakeTransport(values)


def _rows(result: object) -> list[str]:
    assert isinstance(result, list)
    return [oid for oid, _ in result]


async def test_columns_share_a_pdu_and_end_where_their_subtree_ends() -> None:
    device = _device(rows=4)
    walker = Walker(device, max_repetitions=25)
    results = await walker.walk(COLUMNS)
    for col in COLUMNS:
        assert _rows(results[col]) == [f"{col}.{i}" for i in range(1, 5)]
    assert device.stats.requests == 1  # three columns of four rows in one GETBULK
    # Next cycle asks for exactly rows + 1 repetitions.
    await walker.walk(COLUMNS)
    assert device.repetitions == [16, 5]


async def test_a_truncated_answer_leaves_later_columns_where_they_were() -> None:
    device = _device(rows=10)
    device.max_response = 7  # the agent's message size allows seven var-binds
    results = await Walker(device, max_repetitions=25).walk(COLUMNS)
    for col in COLUMNS:
        assert _rows(results[col]) == [f"{col}.{i}" for i in range(1, 11)]


async def test_too_big_shrinks_then_falls_back_to_getnext() -> None:
    device = _device(rows=6)
    device.too_big_above = 4  # only tiny GETBULKs pass
    walker = Walker(device, max_repetitions=25)
    results = await walker.walk(COLUMNS[:1])
    assert _rows(results[COLUMNS[0]]) == [f"{COLUMNS[0]}.{i}" for i in range(1, 7)]
    assert walker.stats.too_big >= 2
    assert device.repetitions[:4] == [25, 12, 6, 3]

    device.too_big_above = 0  # nothing passes: one column at one repetition still too big
    results = await Walker(device, max_repetitions=25).walk(COLUMNS)
    assert all(_rows(results[col]) for col in COLUMNS)


async def test_bulk_timeout_falls_back_to_getnext_and_probes_bulk_again_later() -> None:
    device = _device(rows=3)
    device.bulk_failure = SnmpTimeout("GETBULK mishandled")
    walker = Walker(device, max_repetitions=25, retry_bulk_after=2)
    results = await walker.walk(COLUMNS)
    assert _rows(results[COLUMNS[1]]) == [f"{COLUMNS[1]}.{i}" for i in range(1, 4)]
    assert walker.stats.bulk_fallbacks == 1
    assert not walker.using_bulk
    bulk_asked = len(device.repetitions)
    for _ in range(2):  # two cycles on GETNEXT, no GETBULK tried
        walker.start_cycle()
        await walker.walk(COLUMNS)
        assert len(device.repetitions) == bulk_asked
    device.bulk_failure = None
    walker.start_cycle()
    assert walker.using_bulk
    await walker.walk(COLUMNS)
    assert len(device.repetitions) == bulk_asked + 1


async def test_snmpv1_walks_with_getnext_only() -> None:
    device = _device(rows=2)
    device.supports_bulk = False
    results = await Walker(device).walk(COLUMNS)
    assert all(len(_rows(results[col])) == 2 for col in COLUMNS)
    assert device.repetitions == []


class _Backwards(FakeTransport):
    """An agent whose GETNEXT goes back to the start of the column."""

    column = f"{TABLE}.7"

    async def get_bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        return [(f"{self.column}.1", SnmpValue(SnmpType.INTEGER, 0))]


async def test_an_agent_that_goes_backwards_stops_the_walk() -> None:
    device = _Backwards({})
    result = (await Walker(device).walk([f"{TABLE}.7"]))[f"{TABLE}.7"]
    assert isinstance(result, SnmpError)
    assert result.reason == "oid_not_increasing"


class _Concurrent(FakeTransport):
    """Counts requests in flight at once."""

    def __init__(self, values: dict[str, SnmpValue]) -> None:
        super().__init__(values)
        self.in_flight = 0
        self.most = 0

    async def get_bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return await super().get_bulk(oids, max_repetitions)


async def test_groups_run_in_parallel_within_the_bound() -> None:
    values = {f"1.3.6.1.4.1.9.{c}.{i}": SnmpValue(SnmpType.INTEGER, i) for c in range(1, 9) for i in range(3)}
    columns = [f"1.3.6.1.4.1.9.{c}" for c in range(1, 9)]
    device = _Concurrent(values)
    results = await Walker(device, concurrency=2, columns_per_pdu=2).walk(columns)
    assert all(len(_rows(results[c])) == 3 for c in columns)
    assert device.most == 2
