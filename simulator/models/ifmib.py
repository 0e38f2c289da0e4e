"""IF-MIB (RFC 2863): interfaces group, ifTable, ifXTable and ifTableLastChange.

Octet counters come from one integral per interface, so ifInOctets (Counter32,
wraps) is always ifHCInOctets (Counter64) modulo 2^32, and the packet counters
are the octets divided by a fixed mean packet size.
"""

from __future__ import annotations

from typing import Final

from simulator.device import SimDevice
from simulator.mib import Column, MibObject, Scalar, Table
from snmpcodec.ber import COUNTER32, COUNTER64, GAUGE32, INTEGER, OCTET_STRING, TIMETICKS

_U32_MAX = 0xFFFFFFFF
_IN, _OUT = False, True


def _rows(d: SimDevice) -> int:
    return len(d.ifaces)


IF_MIB: Final[tuple[MibObject[SimDevice], ...]] = (
    Scalar("1.3.6.1.2.1.2.1", "ifNumber", INTEGER, lambda d, t, _: len(d.ifaces)),
    Table(
        "1.3.6.1.2.1.2.2.1",
        "ifTable",
        _rows,
        (
            Column(1, "ifIndex", INTEGER, lambda d, t, i: i + 1),
            Column(2, "ifDescr", OCTET_STRING, lambda d, t, i: d.ifaces[i].descr),
            Column(3, "ifType", INTEGER, lambda d, t, i: d.ifaces[i].spec.if_type),
            Column(4, "ifMtu", INTEGER, lambda d, t, i: d.ifaces[i].spec.mtu),
            Column(5, "ifSpeed", GAUGE32, lambda d, t, i: min(d.ifaces[i].spec.speed_bps, _U32_MAX)),
            Column(6, "ifPhysAddress", OCTET_STRING, lambda d, t, i: d.ifaces[i].mac),
            Column(7, "ifAdminStatus", INTEGER, lambda d, t, i: 1),
            Column(8, "ifOperStatus", INTEGER, lambda d, t, i: 1 if d.ifaces[i].oper_up else 2),
            Column(9, "ifLastChange", TIMETICKS, lambda d, t, i: d.ticks_at(d.ifaces[i].last_change)),
            Column(10, "ifInOctets", COUNTER32, lambda d, t, i: d.ifaces[i].octets(t, _IN)),
            Column(11, "ifInUcastPkts", COUNTER32, lambda d, t, i: d.ifaces[i].packets(t, _IN)),
            Column(13, "ifInDiscards", COUNTER32, lambda d, t, i: 0),
            Column(14, "ifInErrors", COUNTER32, lambda d, t, i: d.ifaces[i].errors(t)),
            Column(16, "ifOutOctets", COUNTER32, lambda d, t, i: d.ifaces[i].octets(t, _OUT)),
            Column(17, "ifOutUcastPkts", COUNTER32, lambda d, t, i: d.ifaces[i].packets(t, _OUT)),
            Column(19, "ifOutDiscards", COUNTER32, lambda d, t, i: 0),
            Column(20, "ifOutErrors", COUNTER32, lambda d, t, i: 0),
        ),
    ),
    Table(
        "1.3.6.1.2.1.31.1.1.1",
        "ifXTable",
        _rows,
        (
            Column(1, "ifName", OCTET_STRING, lambda d, t, i: d.ifaces[i].name),
            Column(6, "ifHCInOctets", COUNTER64, lambda d, t, i: d.ifaces[i].octets(t, _IN)),
            Column(7, "ifHCInUcastPkts", COUNTER64, lambda d, t, i: d.ifaces[i].packets(t, _IN)),
            Column(10, "ifHCOutOctets", COUNTER64, lambda d, t, i: d.ifaces[i].octets(t, _OUT)),
            Column(11, "ifHCOutUcastPkts", COUNTER64, lambda d, t, i: d.ifaces[i].packets(t, _OUT)),
            Column(15, "ifHighSpeed", GAUGE32, lambda d, t, i: d.ifaces[i].spec.speed_bps // 1_000_000),
            Column(18, "ifAlias", OCTET_STRING, lambda d, t, i: d.ifaces[i].alias),
            # Counters only restart with the device, so the discontinuity is the boot (0).
            Column(19, "ifCounterDiscontinuityTime", TIMETICKS, lambda d, t, i: 0),
        ),
    ),
    Scalar(
        "1.3.6.1.2.1.31.1.5",
        "ifTableLastChange",
        TIMETICKS,
        lambda d, t, _: d.ticks_at(d.table_last_change()),
    ),
)
