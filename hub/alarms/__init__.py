"""Alarms: raised and cleared from agents' ALARM messages and from the fleet's state.

State-derived alarms: ``device_down``, ``node_offline``, ``kiosk_offline``, ``link_down``
(an interface administratively up but operationally down), ``cell_down`` (a gNB cell
disabled), ``on_battery`` and ``low_battery`` (a UPS). One alarm per (entity, target,
alarm, resource) is active at a time; raising it again only counts. Every alarm stays in
SQLite as history after it clears.
"""

from hub.alarms.engine import AlarmEngine

__all__ = ["AlarmEngine"]
