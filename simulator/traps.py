"""SNMPv2c notifications from fault injection, to one configured receiver (``--trap-target``).

What is sent, with community ``<community>@<device id>`` so a receiver can
tell the devices behind one address apart:

* ``link_down`` fault / its clearing: IF-MIB linkDown / linkUp with ifIndex,
  ifAdminStatus and ifOperStatus of the interface;
* ``power_cut``: from each UPS at the site, upsTrapOnBattery and
  upsTrapAlarmEntryAdded(upsAlarmOnBattery); when the battery turns low,
  upsTrapAlarmEntryAdded(upsAlarmLowBattery) (checked once a second);
  clearing sends upsTrapAlarmEntryRemoved for each alarm that was added.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterable

from simulator.clock import SimClock
from simulator.device import SimDevice
from snmpcodec.ber import (
    INTEGER,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    SEQUENCE,
    TIMETICKS,
    Oid,
    encode_integer,
    encode_oid,
    encode_value,
    oid_from_str,
    tlv,
)
from snmpcodec.pdu import TRAP_V2, VERSION_2C

log = logging.getLogger(__name__)

SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
LINK_DOWN: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINK_UP: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)
UPS_ON_BATTERY: Oid = oid_from_str("1.3.6.1.2.1.33.2.0.1")
UPS_ALARM_ADDED: Oid = oid_from_str("1.3.6.1.2.1.33.2.0.3")
UPS_ALARM_REMOVED: Oid = oid_from_str("1.3.6.1.2.1.33.2.0.4")
UPS_ALARM_DESCR: Oid = oid_from_str("1.3.6.1.2.1.33.1.6.2.1.2")
ALARM_ON_BATTERY: Oid = oid_from_str("1.3.6.1.2.1.33.1.6.3.2")
ALARM_LOW_BATTERY: Oid = oid_from_str("1.3.6.1.2.1.33.1.6.3.3")

Bind = tuple[Oid, int, int | bytes | Oid]


def encode_trap(community: bytes, request_id: int, uptime: int, trap: Oid, binds: Iterable[Bind]) -> bytes:
    """An SNMPv2-Trap-PDU message."""
    first: list[Bind] = [(SYS_UPTIME, TIMETICKS, uptime), (SNMP_TRAP_OID, OBJECT_IDENTIFIER, trap)]
    body = b"".join(
        tlv(SEQUENCE, encode_oid(oid) + encode_value(tag, value)) for oid, tag, value in [*first, *binds]
    )
    pdu = encode_integer(INTEGER, request_id) + encode_integer(INTEGER, 0) + encode_integer(INTEGER, 0)
    pdu += tlv(SEQUENCE, body)
    message = encode_integer(INTEGER, VERSION_2C) + tlv(OCTET_STRING, community) + tlv(TRAP_V2, pdu)
    return tlv(SEQUENCE, message)


class TrapSender:
    """Sends notifications for devices' faults to ``host:port``."""

    def __init__(self, host: str, port: int, community: str, clock: SimClock) -> None:
        self.target = (host, port)
        self.community = community
        self.clock = clock
        self.sent = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._next_id = 1
        # UPS alarms currently added, by device id, so clearing removes exactly those.
        self.ups_alarms: dict[str, set[Oid]] = {}

    def send(self, dev: SimDevice, trap: Oid, binds: Iterable[Bind] = ()) -> None:
        community = f"{self.community}@{dev.id}".encode()
        data = encode_trap(community, self._next_id, dev.uptime_ticks(self.clock.now()), trap, binds)
        self._next_id += 1
        try:
            self._sock.sendto(data, self.target)
            self.sent += 1
        except OSError as exc:  # the receiver's host is unreachable: a trap is fire-and-forget
            log.debug("trap to %s:%d not sent: %s", *self.target, exc)

    def link(self, dev: SimDevice, ifindex: int, up: bool) -> None:
        binds: list[Bind] = [
            ((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, ifindex), INTEGER, ifindex),
            ((1, 3, 6, 1, 2, 1, 2, 2, 1, 7, ifindex), INTEGER, 1),
            ((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, ifindex), INTEGER, 1 if up else 2),
        ]
        self.send(dev, LINK_UP if up else LINK_DOWN, binds)

    def ups_alarm(self, dev: SimDevice, alarm: Oid, added: bool) -> None:
        active = self.ups_alarms.setdefault(dev.id, set())
        if added == (alarm in active):
            return
        if added:
            active.add(alarm)
        else:
            active.discard(alarm)
        row = 1 + (alarm == ALARM_LOW_BATTERY)
        self.send(
            dev,
            UPS_ALARM_ADDED if added else UPS_ALARM_REMOVED,
            [((*UPS_ALARM_DESCR, row), OBJECT_IDENTIFIER, alarm)],
        )

    def on_battery(self, ups: SimDevice) -> None:
        self.send(ups, UPS_ON_BATTERY)
        self.ups_alarm(ups, ALARM_ON_BATTERY, True)

    def mains_back(self, ups: SimDevice) -> None:
        for alarm in sorted(self.ups_alarms.get(ups.id, set())):
            self.ups_alarm(ups, alarm, False)

    def check_batteries(self, devices: Iterable[SimDevice]) -> None:
        """Send the low-battery alarm for UPSes on battery whose status turned low."""
        t = self.clock.now()
        for dev in devices:
            if dev.kind == "ups" and dev.power.on_battery and dev.power.battery_status(t) >= 3:
                self.ups_alarm(dev, ALARM_LOW_BATTERY, True)

    async def watch_batteries(self, devices: list[SimDevice], every: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every)
            self.check_batteries(devices)

    def close(self) -> None:
        self._sock.close()
