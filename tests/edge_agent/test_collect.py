"""From var-binds to samples: every metric type, lookups and their cache, partial failures, PDU sizing."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.collect import DeviceCollector
from edge_agent.errors import SnmpAuthError, SnmpError, SnmpTimeout
from edge_agent.modules import load_module, load_modules
from edge_agent.snmp.fake import FakeTransport, format_snmprec, parse_snmprec
from edge_agent.snmp.transport import SnmpType, SnmpValue, VarBind
from tests.edge_agent.conftest import FIXTURES, collector, sample

NOW = 1_800_000_000.0

VENDOR = """\
name: vendor
walk:
  - 1.3.6.1.4.1.99.1.2
  - 1.3.6.1.4.1.99.1.3
  - 1.3.6.1.4.1.99.1.4
  - 1.3.6.1.4.1.99.1.5
  - 1.3.6.1.4.1.99.1.6
  - 1.3.6.1.4.1.99.1.7
  - 1.3.6.1.4.1.99.1.8
lookups:
  port:
    oid: 1.3.6.1.4.1.99.1.1
metrics:
  - name: optic_rx_power_dbm
    oid: 1.3.6.1.4.1.99.1.2
    type: gauge
    index: port
    help: received optical power, a DisplayString on this vendor
  - name: optic_vendor_info
    oid: 1.3.6.1.4.1.99.1.3
    type: DisplayString
    index: port
    value_label: vendor
    help: transceiver vendor
  - name: port_type_info
    oid: 1.3.6.1.4.1.99.1.4
    type: EnumAsInfo
    index: port
    help: what the port is
    enum: {1: gpon, 2: xgspon}
  - name: port_alarms
    oid: 1.3.6.1.4.1.99.1.5
    type: Bits
    index: port
    help: active alarms (BITS)
    enum: {0: los, 1: lof, 9: dying_gasp}
  - name: port_installed_seconds
    oid: 1.3.6.1.4.1.99.1.6
    type: DateAndTime
    index: port
    help: when the optic was installed
  - name: port_peer_info
    oid: 1.3.6.1.4.1.99.1.7
    type: InetAddress
    index: port
    value_label: peer
    help: management address of the peer
  - name: port_admin
    oid: 1.3.6.1.4.1.99.1.8
    type: EnumAsStateSet
    index: port
    help: admin state
    enum: {1: up, 2: down}
"""

# Port 1 and 2 share a name; port 3 has none. Values per type, as a vendor OLT would send them.
RECORDING = """\
1.3.6.1.4.1.99.1.1.1|4|pon-1
1.3.6.1.4.1.99.1.1.2|4|pon-1
1.3.6.1.4.1.99.1.1.3|4|
1.3.6.1.4.1.99.1.2.1|4|-21.5
1.3.6.1.4.1.99.1.2.2|4|n/a
1.3.6.1.4.1.99.1.2.3|4|-8.25
1.3.6.1.4.1.99.1.3.1|4x|48756177656920e58d8ee4b8ba
1.3.6.1.4.1.99.1.4.1|2|2
1.3.6.1.4.1.99.1.4.2|2|7
1.3.6.1.4.1.99.1.5.1|4x|c040
1.3.6.1.4.1.99.1.6.1|4x|07ea0b1d0f041200
1.3.6.1.4.1.99.1.6.2|4x|07ea0b1d0f0412052b0800
1.3.6.1.4.1.99.1.7.1|4x|0a000001
1.3.6.1.4.1.99.1.7.2|4x|20010db8000000000000000000000001
1.3.6.1.4.1.99.1.8.1|2|2
"""


@pytest.fixture
def vendor(tmp_path: Path) -> DeviceCollector:
    path = tmp_path / "vendor.yaml"
    path.write_text(VENDOR, encoding="utf-8")
    return collector([load_module(path)], FakeTransport(parse_snmprec(RECORDING)))


async def test_every_metric_type(vendor: DeviceCollector) -> None:
    samples = (await vendor.poll(NOW)).samples
    # Two rows named pon-1 would be one series at the hub: both get their index appended.
    assert sample(samples, "optic_rx_power_dbm", port="pon-1.1") == -21.5
    # An empty name falls back to the index; a non-numeric string is skipped, not an error.
    assert sample(samples, "optic_rx_power_dbm", port="3") == -8.25
    assert not [s for s in samples if s.name == "optic_rx_power_dbm" and s.labels.get("port") == "pon-1.2"]
    assert sample(samples, "optic_vendor_info", port="pon-1.1", vendor="Huawei 华为") == 1
    # EnumAsInfo: the name of the value; an unknown value keeps its number.
    assert sample(samples, "port_type_info", port="pon-1.1", port_type="xgspon") == 1
    assert sample(samples, "port_type_info", port="pon-1.2", port_type="7") == 1
    # Bits c040: bits 0, 1 and 9 set (bit 0 is the top bit of the first octet).
    assert sample(samples, "port_alarms", port="pon-1.1", port_alarms="los") == 1
    assert sample(samples, "port_alarms", port="pon-1.1", port_alarms="lof") == 1
    assert sample(samples, "port_alarms", port="pon-1.1", port_alarms="dying_gasp") == 1
    # DateAndTime: 2026-11-29 15:04:18 (no zone: UTC), and 15:04:18.5 at +08:00, 8 hours earlier.
    assert sample(samples, "port_installed_seconds", port="pon-1.1") == 1795964658.0
    assert sample(samples, "port_installed_seconds", port="pon-1.2") == 1795964658.5 - 8 * 3600
    assert sample(samples, "port_peer_info", port="pon-1.1", peer="10.0.0.1") == 1
    assert sample(samples, "port_peer_info", port="pon-1.2", peer="2001:db8::1") == 1
    assert sample(samples, "port_admin", port="pon-1.1", port_admin="down") == 1
    assert sample(samples, "port_admin", port="pon-1.1", port_admin="up") == 0
    defs = {d.name: d for d in vendor.metric_defs()}
    assert (defs["port_alarms"].type, defs["port_type_info"].type, defs["port_peer_info"].type) == (
        "stateset",
        "info",
        "info",
    )
    assert defs["port_installed_seconds"].type == "gauge"


async def test_lookups_are_cached_until_the_marker_moves_or_the_device_reboots(
    linux_device: FakeTransport,
) -> None:
    if_mib = load_modules(["if_mib"])["if_mib"]
    device_collector = collector([if_mib], linux_device)
    marker = "1.3.6.1.2.1.31.1.5.0"
    linux_device.set(marker, SnmpValue(SnmpType.TIMETICKS, 100))
    if_name = "1.3.6.1.2.1.31.1.1.1.1"

    first = await device_collector.poll(NOW)
    assert first.lookups_read == ["if_mib"]
    assert sample(first.samples, "if_hc_in_octets", ifname="eth0") > 0
    walked = len(linux_device.walked())

    second = await device_collector.poll(NOW + 15)
    assert second.lookups_read == []
    assert if_name not in linux_device.walked()[walked:]  # the names came from the cache
    assert sample(second.samples, "if_hc_in_octets", ifname="eth0") > 0

    linux_device.set(marker, SnmpValue(SnmpType.TIMETICKS, 200))  # an interface came or went
    assert (await device_collector.poll(NOW + 30)).lookups_read == ["if_mib"]
    assert (await device_collector.poll(NOW + 45)).lookups_read == []

    linux_device.set("1.3.6.1.2.1.1.3.0", SnmpValue(SnmpType.TIMETICKS, 10))  # rebooted
    rebooted = await device_collector.poll(NOW + 60)
    assert rebooted.rebooted
    assert rebooted.lookups_read == ["if_mib"]

    # A row the cached names do not know: reported by index now, names read again next cycle.
    linux_device.set(f"{'1.3.6.1.2.1.31.1.1.1.6'}.9", SnmpValue(SnmpType.COUNTER64, 5))
    linux_device.set(f"{if_name}.9", SnmpValue(SnmpType.OCTET_STRING, b"wlan0"))
    unknown = await device_collector.poll(NOW + 75)
    assert sample(unknown.samples, "if_hc_in_octets", ifname="9") == 5
    renamed = await device_collector.poll(NOW + 90)
    assert renamed.lookups_read == ["if_mib"]
    assert sample(renamed.samples, "if_hc_in_octets", ifname="wlan0") == 5


async def test_walks_ask_for_last_cycles_row_count_plus_one(linux_device: FakeTransport) -> None:
    device_collector = collector([load_modules(["if_mib"])["if_mib"]], linux_device, max_repetitions=25)
    await device_collector.poll(NOW)
    first = list(linux_device.repetitions)
    await device_collector.poll(NOW + 15)
    second = linux_device.repetitions[len(first) :]
    # A request carries at most 2 x 25 var-binds: nine metric columns get 5 repetitions, the two
    # lookup columns 25; next cycle the lookups are cached and four rows + 1 is exactly 5 again.
    assert sorted(first) == [5, 25]
    assert second == [5]


class _Flaky(FakeTransport):
    """Fails GETBULK and GETNEXT requests that include one column, with a given error."""

    def __init__(self, values: dict[str, SnmpValue], bad: str, error: SnmpError) -> None:
        super().__init__(values)
        self.bad, self.error = bad, error

    def _touches(self, oids: list[str]) -> bool:
        return any(oid == self.bad or oid.startswith(self.bad + ".") for oid in oids)

    async def get_bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        if self._touches(oids):
            raise self.error
        return await super().get_bulk(oids, max_repetitions)

    async def get_next(self, oids: list[str]) -> list[VarBind]:
        if self._touches(oids):
            raise self.error
        return await super().get_next(oids)


def _recorded() -> dict[str, SnmpValue]:
    return parse_snmprec((FIXTURES / "netsnmp-linux.snmprec").read_text(encoding="utf-8"))


@pytest.mark.parametrize("error", [SnmpError("genErr", reason="gen_err"), SnmpTimeout("silent")])
async def test_a_failing_walk_costs_only_its_group(error: SnmpError) -> None:
    device = _Flaky(_recorded(), "1.3.6.1.2.1.2.2.1.14", error)
    if_mib = load_modules(["if_mib"])["if_mib"]
    # One column per PDU, so the failing column takes nothing else with it.
    cycle = await collector([if_mib], device, columns_per_pdu=1).poll(NOW)
    assert [e.reason for e in cycle.errors] == [error.reason]
    assert not [s for s in cycle.samples if s.name == "if_in_errors"]
    assert sample(cycle.samples, "if_hc_out_octets", ifname="lo") > 0


@pytest.mark.parametrize("error", [SnmpTimeout("silent"), SnmpAuthError("wrong key")])
async def test_a_device_that_does_not_answer_its_first_get_is_down(error: SnmpError) -> None:
    device = FakeTransport(_recorded())
    device.failure = error
    with pytest.raises(type(error)):
        await collector([load_modules(["if_mib"])["if_mib"]], device).poll(NOW)


SENSORS = (FIXTURES / "entity-sensor.snmprec").read_text(encoding="utf-8")
HOST = (FIXTURES / "host-resources.snmprec").read_text(encoding="utf-8")


async def test_entity_sensor_values_in_base_units() -> None:
    modules = load_modules(["entity_sensor"])
    samples = (
        await collector([modules["entity_sensor"]], FakeTransport(parse_snmprec(SENSORS))).poll(NOW)
    ).samples
    assert sample(
        samples, "entity_sensor_value", sensor="PSU 1 inlet", sensor_type="celsius"
    ) == pytest.approx(34.7)
    # The -48 V bus: value -4812 in units (scale 9) with 2 decimal places.
    assert sample(samples, "entity_sensor_value", sensor="DC bus", sensor_type="voltsDC") == pytest.approx(
        -48.12
    )
    assert sample(samples, "entity_sensor_value", sensor="SFP 0/1 rx", sensor_type="dBm") == pytest.approx(
        -21.37
    )
    assert sample(samples, "entity_sensor_value", sensor="Fan 1", sensor_type="rpm") == 5400
    assert sample(samples, "entity_sensor_oper_status", sensor="Fan 1", entity_sensor_oper_status="ok") == 1


async def test_host_resources_storage_in_bytes() -> None:
    modules = load_modules(["host_resources"])
    samples = (
        await collector([modules["host_resources"]], FakeTransport(parse_snmprec(HOST))).poll(NOW)
    ).samples
    assert sample(samples, "hr_storage_size_bytes", storage="Physical memory") == 16_384_000 * 1024
    assert sample(samples, "hr_storage_used_bytes", storage="/") == 1_000_000 * 4096
    assert sample(samples, "hr_processor_load_ratio", processor="196608") == pytest.approx(0.03)
    assert sample(samples, "hr_system_date_seconds") == 1795964658.0
    assert sample(samples, "hr_memory_size_bytes") == 16_384_000 * 1024


def test_snmprec_round_trip() -> None:
    values = parse_snmprec(RECORDING + "1.3.6.1.2.1.1.3.0|67|42\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072\n")
    assert values["1.3.6.1.4.1.99.1.3.1"] == SnmpValue(SnmpType.OCTET_STRING, "Huawei 华为".encode())
    assert values["1.3.6.1.2.1.1.3.0"] == SnmpValue(SnmpType.TIMETICKS, 42)
    assert parse_snmprec(format_snmprec(list(values.items()))) == values
