"""Which notifications become which ALARM or EVENT: a table, not code.

* IF-MIB linkDown / linkUp: ALARM ``link_down`` raised / cleared; resource = the ifName
  (from the device's cached lookup), else "ifIndex N".
* UPS-MIB upsTrapOnBattery: ALARM ``ups_on_battery`` raised (agents repeat it every
  minute while on battery; repeats are harmless).
* UPS-MIB upsTrapAlarmEntryAdded / Removed: raised / cleared, named by upsAlarmDescr
  (``ups_on_battery``, ``ups_low_battery`` critical, ``ups_input_bad`` ...; others ``ups_alarm``).
* SNMPv2-MIB coldStart / warmStart: EVENT ``cold_start`` / ``warm_start``.

Anything else is logged at debug level and sent nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from edge_agent.snmp.transport import SnmpValue
from edge_agent.traps import Trap

LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
COLD_START = "1.3.6.1.6.3.1.1.5.1"
WARM_START = "1.3.6.1.6.3.1.1.5.2"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1."
UPS_ON_BATTERY = "1.3.6.1.2.1.33.2.0.1"
UPS_ALARM_ADDED = "1.3.6.1.2.1.33.2.0.3"
UPS_ALARM_REMOVED = "1.3.6.1.2.1.33.2.0.4"
UPS_ALARM_DESCR = "1.3.6.1.2.1.33.1.6.2.1.2."
_UPS_WELL_KNOWN = "1.3.6.1.2.1.33.1.6.3."
#: RFC 1628 upsWellKnownAlarms -> (alarm name, severity).
UPS_ALARMS: dict[str, tuple[str, Literal["critical", "major", "minor", "warning"]]] = {
    "1": ("ups_battery_bad", "major"),
    "2": ("ups_on_battery", "major"),
    "3": ("ups_low_battery", "critical"),
    "4": ("ups_depleted_battery", "critical"),
    "5": ("ups_temperature_bad", "major"),
    "6": ("ups_input_bad", "major"),
    "7": ("ups_output_bad", "major"),
    "8": ("ups_output_overload", "major"),
    "9": ("ups_on_bypass", "minor"),
}

State = Literal["raised", "cleared"]
Severity = Literal["critical", "major", "minor", "warning"]


@dataclass(frozen=True, slots=True)
class AlarmAction:
    """Raise or clear one alarm."""

    alarm: str
    state: State
    severity: Severity = "major"
    resource: str = ""
    text: str = ""


@dataclass(frozen=True, slots=True)
class EventAction:
    """Record one event."""

    event: str
    attrs: dict[str, str | int | float | bool]


Action = AlarmAction | EventAction


def actions_for(trap: Trap, if_names: dict[str, str]) -> list[Action]:
    """What ``trap`` means; ``if_names`` maps ifIndex -> ifName for the trap's device."""
    oid = trap.trap_oid
    if oid in (LINK_DOWN, LINK_UP):
        index = _index_of(trap.varbinds, IF_INDEX)
        resource = if_names.get(index, f"ifIndex {index}") if index else ""
        state: State = "raised" if oid == LINK_DOWN else "cleared"
        word = "linkDown" if oid == LINK_DOWN else "linkUp"
        return [AlarmAction("link_down", state, "major", resource, f"{word} trap: ifIndex {index or '?'}")]
    if oid == UPS_ON_BATTERY:
        return [AlarmAction("ups_on_battery", "raised", "major", "", "upsTrapOnBattery")]
    if oid in (UPS_ALARM_ADDED, UPS_ALARM_REMOVED):
        state = "raised" if oid == UPS_ALARM_ADDED else "cleared"
        out: list[Action] = []
        for name, value in trap.varbinds.items():
            if name.startswith(UPS_ALARM_DESCR) and isinstance(value.value, str):
                known = value.value.removeprefix(_UPS_WELL_KNOWN)
                alarm, severity = UPS_ALARMS.get(known, ("ups_alarm", "major"))
                resource = "" if known in UPS_ALARMS else value.value
                out.append(AlarmAction(alarm, state, severity, resource, f"UPS-MIB alarm {value.value}"))
        return out
    if oid in (COLD_START, WARM_START):
        return [EventAction("cold_start" if oid == COLD_START else "warm_start", {"source": trap.source})]
    return []


def _index_of(varbinds: dict[str, SnmpValue], column: str) -> str:
    for name in varbinds:
        if name.startswith(column):
            return name[len(column) :]
    return ""
