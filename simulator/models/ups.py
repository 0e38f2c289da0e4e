"""UPS-MIB (RFC 1628, 1.3.6.1.2.1.33): identity, battery, input, output and alarm count.

Battery and mains values come from the site's :class:`~simulator.power.SitePower`;
the load follows the site's daily curve. Units are the RFC's: volts RMS,
0.1 Hz, 0.1 V DC, whole minutes and seconds, percent.
"""

from __future__ import annotations

from typing import Final

from simulator.device import SimDevice
from simulator.mib import Column, MibObject, Scalar, Table
from simulator.traffic import LOAD_MAX
from snmpcodec.ber import COUNTER32, GAUGE32, INTEGER, OCTET_STRING

_UPS = "1.3.6.1.2.1.33.1"
_RATED_VA = 3000
NOMINAL_VOLTS = 220  # China mains, single phase


def _load_pct(d: SimDevice, t: float) -> int:
    """Output load in percent: the site's equipment draws more when it is busy."""
    if not d.power.powered(t):
        return 0
    busy = d.ifaces[0].acc.curve.load(t) / LOAD_MAX
    return round(100.0 * d.ups_load_share * (0.8 + 0.2 * busy))


def _input_volts(d: SimDevice, t: float) -> int:
    if d.power.on_battery:
        return 0
    # Rural lines sag in the evening peak.
    return NOMINAL_VOLTS + 6 - round(10.0 * d.ifaces[0].acc.curve.load(t) / LOAD_MAX)


def _output_volts(d: SimDevice, t: float) -> int:
    return NOMINAL_VOLTS if d.power.powered(t) else 0


def _output_watts(d: SimDevice, t: float) -> int:
    return round(_RATED_VA * 0.9 * _load_pct(d, t) / 100.0)


def _alarms(d: SimDevice, t: float) -> int:
    """upsAlarmsPresent: on-battery, plus low-battery, plus output-off once flat."""
    if not d.power.on_battery:
        return 0
    return 1 + (d.power.battery_status(t) >= 3) + (not d.power.powered(t))


UPS_MIB: Final[tuple[MibObject[SimDevice], ...]] = (
    Scalar(
        f"{_UPS}.1.1", "upsIdentManufacturer", OCTET_STRING, lambda d, t, _: d.spec.model.split()[0].encode()
    ),
    Scalar(f"{_UPS}.1.2", "upsIdentModel", OCTET_STRING, lambda d, t, _: d.spec.model.encode()),
    Scalar(f"{_UPS}.1.5", "upsIdentName", OCTET_STRING, lambda d, t, _: d.sys_name),
    Scalar(f"{_UPS}.2.1", "upsBatteryStatus", INTEGER, lambda d, t, _: d.power.battery_status(t)),
    Scalar(f"{_UPS}.2.2", "upsSecondsOnBattery", INTEGER, lambda d, t, _: d.power.seconds_on_battery(t)),
    Scalar(
        f"{_UPS}.2.3", "upsEstimatedMinutesRemaining", INTEGER, lambda d, t, _: d.power.minutes_remaining(t)
    ),
    Scalar(f"{_UPS}.2.4", "upsEstimatedChargeRemaining", INTEGER, lambda d, t, _: int(d.power.charge_at(t))),
    Scalar(
        f"{_UPS}.2.5", "upsBatteryVoltage", INTEGER, lambda d, t, _: 480 + round(0.6 * d.power.charge_at(t))
    ),
    Scalar(f"{_UPS}.2.7", "upsBatteryTemperature", INTEGER, lambda d, t, _: 24 + (d.power.on_battery * 3)),
    Scalar(f"{_UPS}.3.1", "upsInputLineBads", COUNTER32, lambda d, t, _: d.power.cuts),
    Scalar(f"{_UPS}.3.2", "upsInputNumLines", INTEGER, lambda d, t, _: 1),
    Table(
        f"{_UPS}.3.3.1",
        "upsInputTable",
        lambda d: 1,
        (
            Column(1, "upsInputLineIndex", INTEGER, lambda d, t, i: i + 1),
            Column(2, "upsInputFrequency", INTEGER, lambda d, t, i: 0 if d.power.on_battery else 500),
            Column(3, "upsInputVoltage", INTEGER, lambda d, t, i: _input_volts(d, t)),
        ),
    ),
    Scalar(f"{_UPS}.4.1", "upsOutputSource", INTEGER, lambda d, t, _: d.power.output_source(t)),
    Scalar(f"{_UPS}.4.2", "upsOutputFrequency", INTEGER, lambda d, t, _: 500 if d.power.powered(t) else 0),
    Scalar(f"{_UPS}.4.3", "upsOutputNumLines", INTEGER, lambda d, t, _: 1),
    Table(
        f"{_UPS}.4.4.1",
        "upsOutputTable",
        lambda d: 1,
        (
            Column(1, "upsOutputLineIndex", INTEGER, lambda d, t, i: i + 1),
            Column(2, "upsOutputVoltage", INTEGER, lambda d, t, i: _output_volts(d, t)),
            Column(4, "upsOutputPower", INTEGER, lambda d, t, i: _output_watts(d, t)),
            Column(5, "upsOutputPercentLoad", INTEGER, lambda d, t, i: _load_pct(d, t)),
        ),
    ),
    Scalar(f"{_UPS}.6.1", "upsAlarmsPresent", GAUGE32, lambda d, t, _: _alarms(d, t)),
)
