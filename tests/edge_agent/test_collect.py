"""From varbinds to samples: info and numeric strings, label clashes, partial failures, PDU sizing."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.collect import DeviceCollector
from edge_agent.errors import SnmpAuthError, SnmpError, SnmpTimeout
from edge_agent.modules import load_module, load_modules
from edge_agent.snmp.fake import FakeTransport, format_snmprec, parse_snmprec
from edge_agent.snmp.transport import SnmpType, SnmpValue, VarBind
from tests.edge_agent.conftest import FIXTURES, sample

VENDOR = """\
name: vendor
walk:
  - 1.3.6.1.4.1.99.1
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
    type: info
    index: port
    value_label: vendor
    help: transceiver vendor
"""

RECORDING = """\
1.3.6.1.4.1.99.1.1.1|4|pon-1
1.3.6.1.4.1.99.1.1.2|4|pon-1
1.3.6.1.4.1.99.1.1.3|4|
1.3.6.1.4.1.99.1.2.1|4|-21.5
1.3.6.1.4.1.99.1.2.2|4|n/a
1.3.6.1.4.1.99.1.2.3|4|-8.25
1.3.6.1.4.1.99.1.3.1|4x|48756177656920e58d8ee4b8ba
"""


@pytest.fixture
def vendor(tmp_path: Path) -> DeviceCollector:
    path = tmp_path / "vendor.yaml"
    path.write_text(VENDOR, encoding="utf-8")
    return DeviceCollector([load_module(path)])


async def test_info_strings_numbers_and_clashing_names(vendor: DeviceCollector) -> None:
    device = FakeTransport(parse_snmprec(RECORDING))
    samples = vendor.samples(await vendor.fetch(device), rebooted=False)
    # Two rows named pon-1 would be one series at the hub: both get their index appended.
    assert sample(samples, "optic_rx_power_dbm", port="pon-1.1") == -21.5
    # An empty name falls back to the index; a non-numeric string is skipped, not an error.
    assert sample(samples, "optic_rx_power_dbm", port="3") == -8.25
    assert not [s for s in samples if s.labels.get("port") == "pon-1.2"]
    assert sample(samples, "optic_vendor_info", port="pon-1.1", vendor="Huawei 华为") == 1


async def test_walks_ask_for_last_cycles_row_count_plus_one(linux_device: FakeTransport) -> None:
    modules = load_modules(["if_mib"])
    collector = DeviceCollector([modules["if_mib"]])
    await collector.fetch(linux_device)
    first = list(linux_device.repetitions)
    await collector.fetch(linux_device)
    second = linux_device.repetitions[len(first) :]
    assert set(first) == {None}  # first cycle: the configured max-repetitions
    assert set(second) == {5}  # four interfaces: one exact PDU per column


class _Flaky(FakeTransport):
    """Fails walks of one subtree with a given error."""

    def __init__(self, values: dict[str, SnmpValue], bad: str, error: SnmpError) -> None:
        super().__init__(values)
        self.bad, self.error = bad, error

    async def walk(self, subtree: str, *, max_repetitions: int | None = None) -> list[VarBind]:
        if subtree == self.bad:
            raise self.error
        return await super().walk(subtree, max_repetitions=max_repetitions)


async def test_an_agent_error_costs_only_its_subtree() -> None:
    values = parse_snmprec((FIXTURES / "netsnmp-linux.snmprec").read_text(encoding="utf-8"))
    device = _Flaky(values, "1.3.6.1.2.1.2.2.1.14", SnmpError("genErr", reason="gen_err"))
    collector = DeviceCollector([load_modules(["if_mib"])["if_mib"]])
    snap = await collector.fetch(device)
    assert [e.reason for e in snap.errors] == ["gen_err"]
    samples = collector.samples(snap, rebooted=False)
    assert not [s for s in samples if s.name == "if_in_errors"]
    assert sample(samples, "if_hc_out_octets", ifname="lo") > 0


@pytest.mark.parametrize("error", [SnmpTimeout("silent"), SnmpAuthError("wrong key")])
async def test_timeouts_and_auth_errors_fail_the_whole_poll(error: SnmpError) -> None:
    values = parse_snmprec((FIXTURES / "netsnmp-linux.snmprec").read_text(encoding="utf-8"))
    device = _Flaky(values, "1.3.6.1.2.1.2.2.1.14", error)
    collector = DeviceCollector([load_modules(["if_mib"])["if_mib"]])
    with pytest.raises(type(error)):
        await collector.fetch(device)


def test_snmprec_round_trip() -> None:
    values = parse_snmprec(RECORDING + "1.3.6.1.2.1.1.3.0|67|42\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072\n")
    assert values["1.3.6.1.4.1.99.1.3.1"] == SnmpValue(SnmpType.OCTET_STRING, "Huawei 华为".encode())
    assert values["1.3.6.1.2.1.1.3.0"] == SnmpValue(SnmpType.TIMETICKS, 42)
    assert parse_snmprec(format_snmprec(list(values.items()))) == values
