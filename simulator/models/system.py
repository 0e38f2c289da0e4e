"""SNMPv2-MIB system group (RFC 3418, 1.3.6.1.2.1.1), served by every kind."""

from __future__ import annotations

from typing import Final

from simulator.device import SimDevice
from simulator.mib import MibObject, Scalar
from snmpcodec.ber import INTEGER as INT
from snmpcodec.ber import OBJECT_IDENTIFIER, OCTET_STRING, TIMETICKS

_CONTACT = b"cunlink NOC <noc@example.invalid>"

SYSTEM: Final[tuple[MibObject[SimDevice], ...]] = (
    Scalar("1.3.6.1.2.1.1.1", "sysDescr", OCTET_STRING, lambda d, t, _: d.sys_descr),
    Scalar("1.3.6.1.2.1.1.2", "sysObjectID", OBJECT_IDENTIFIER, lambda d, t, _: d.object_id),
    Scalar("1.3.6.1.2.1.1.3", "sysUpTime", TIMETICKS, lambda d, t, _: d.uptime_ticks(t)),
    Scalar("1.3.6.1.2.1.1.4", "sysContact", OCTET_STRING, lambda d, t, _: _CONTACT),
    Scalar("1.3.6.1.2.1.1.5", "sysName", OCTET_STRING, lambda d, t, _: d.sys_name),
    Scalar("1.3.6.1.2.1.1.6", "sysLocation", OCTET_STRING, lambda d, t, _: d.sys_location),
    Scalar("1.3.6.1.2.1.1.7", "sysServices", INT, lambda d, t, _: d.profile.services),
)
