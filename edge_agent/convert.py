"""SNMP values -> sample values and labels, per metric type (snmp_exporter's vocabulary).

| type | sample |
|---|---|
| counter | the number, extended to a monotonic 64-bit total (:mod:`edge_agent.counters`) |
| gauge | the number x ``scale`` (x companion columns: multiplier, sensor scale, precision) |
| DisplayString | 1, the text in ``value_label`` |
| EnumAsInfo | 1, the enum name of the value in ``value_label`` |
| EnumAsStateSet | one sample per enum state, 1 for the current one |
| Bits | one sample per named bit, 1 when set (BITS: bit 0 = top bit of octet 0) |
| DateAndTime | seconds since the epoch (RFC 2579; local time with its UTC offset when given) |
| InetAddress | 1, the address as text (4 octets IPv4, 16 IPv6, 8/20 with a zone index) |
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math

from edge_agent.snmp.transport import SnmpType, SnmpValue

LABEL_MAX = 128


def text(value: SnmpValue) -> str:
    """A label-safe display string, at most 128 characters."""
    return value.as_text().strip()[:LABEL_MAX]


def number(value: SnmpValue) -> float | None:
    """The numeric value; numbers written as DisplayString ("-21.5") are parsed too."""
    raw = value.as_int()
    if raw is not None:
        return raw
    if value.type != SnmpType.OCTET_STRING:
        return None
    try:
        parsed = float(value.as_text())
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None


def date_and_time(value: SnmpValue) -> float | None:
    """RFC 2579 DateAndTime (8 or 11 octets) as epoch seconds; None when malformed."""
    raw = value.value
    if not isinstance(raw, bytes) or len(raw) not in (8, 11):
        return None
    year = int.from_bytes(raw[0:2], "big")
    month, day, hour, minute, second, decisecond = raw[2:8]
    offset = dt.timedelta(0)
    if len(raw) == 11:
        direction, hours, minutes = chr(raw[8]), raw[9], raw[10]
        if direction not in "+-":
            return None
        offset = dt.timedelta(hours=hours, minutes=minutes) * (1 if direction == "+" else -1)
    try:
        local = dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=dt.timezone(offset))
    except ValueError:
        return None
    return round(local.timestamp() + decisecond / 10, 1)


def inet_address(value: SnmpValue) -> str:
    """InetAddress octets as text (RFC 4001 by length), or hex when the length fits no form."""
    raw = value.value
    if isinstance(raw, str):  # IpAddress is decoded to text already
        return raw
    if not isinstance(raw, bytes):
        return ""
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    if len(raw) == 16:
        return str(ipaddress.IPv6Address(raw))
    if len(raw) == 8:
        return f"{ipaddress.IPv4Address(raw[:4])}%{int.from_bytes(raw[4:], 'big')}"
    if len(raw) == 20:
        return f"{ipaddress.IPv6Address(raw[:16])}%{int.from_bytes(raw[16:], 'big')}"
    return raw.hex()


def bits_set(value: SnmpValue) -> set[int]:
    """Numbers of the bits set in a BITS value (bit 0 is the most significant bit of octet 0)."""
    raw = value.value
    if not isinstance(raw, bytes):
        return set()
    return {i * 8 + b for i, octet in enumerate(raw) for b in range(8) if octet & (0x80 >> b)}


def sensor_factor(scale: int | None, precision: int | None) -> float:
    """ENTITY-SENSOR-MIB: value x 10^(3 x (scale - 9)) x 10^-precision (units(9) is 10^0)."""
    exponent = 0
    if scale is not None and 1 <= scale <= 17:
        exponent += 3 * (scale - 9)
    if precision is not None and -8 <= precision <= 9:
        exponent -= precision
    return 10.0**exponent
