"""Where alarms come from: agents' ALARM messages, state transitions and device values.

Value rules read only the samples of each DATA message (report by exception: a message
without interface states changes nothing about interfaces), so their cost is a pass over
the message's samples, never a scan of the fleet. A device that goes offline has its
value alarms cleared, because they can no longer be judged; ``device_down`` stands for
all of them until it is back.
"""

from __future__ import annotations

from contract import payloads as p
from contract.topics import NodeKind, Topic
from hub.alarms.engine import AlarmEngine
from hub.snapshot import Transition
from hub.state import FleetState

#: Severity of ``device_down`` by device kind: a lost OLT uplink halves a township's backhaul.
DOWN_SEVERITY = {"olt_uplink": "critical", "gnb": "major", "ups": "minor"}
#: Alarms that state transitions own (value rules never clear them).
SESSION_ALARMS = frozenset({"device_down", "node_offline", "kiosk_offline"})
#: Value alarms and their severity.
VALUE_SEVERITY = {
    "link_down": "major",
    "cell_down": "major",
    "on_battery": "major",
    "low_battery": "critical",
}
_LOW_BATTERY = frozenset({"batteryLow", "batteryDepleted"})
#: The only sample names :meth:`AlarmRules._values` reads; a DATA with none of them changes no alarm.
_WATCHED = frozenset(
    {"if_oper_status", "if_admin_status", "gnb_cell_oper_state", "ups_output_source", "ups_battery_status"}
)


class AlarmRules:
    """Feeds the engine: a state listener, a DATA sink and an ALARM sink."""

    def __init__(self, engine: AlarmEngine, state: FleetState) -> None:
        self._engine = engine
        self._state = state
        self._kinds: dict[str, tuple[str, str]] = {}
        """device id -> (kind, node), learned from transitions (DATA does not carry the kind)."""

    # -- transitions --------------------------------------------------------------------------

    def transition(self, t: Transition) -> None:
        """Session alarms follow online state; a removed entity has all its alarms cleared."""
        engine = self._engine
        if t.state == "removed":
            engine.clear_target(t.id, text=f"{t.entity} removed from the inventory")
            self._kinds.pop(t.id, None)
            return
        if t.entity == "device":
            self._kinds[t.id] = (t.kind, t.node)
            if t.state == "online":
                engine.clear("device", t.id, "device_down", at=t.ts)
            else:
                engine.clear_target(t.id, keep=SESSION_ALARMS, text="device down; value alarms not judged")
                engine.raise_(
                    source="hub",
                    entity="device",
                    target=t.id,
                    node=t.node,
                    kind=t.kind,
                    alarm="device_down",
                    severity=DOWN_SEVERITY.get(t.kind, "major"),
                    text=f"device offline: {t.reason}",
                    at=t.ts,
                )
            return
        name = "kiosk_offline" if t.kind == NodeKind.KIOSK.value else "node_offline"
        if t.state == "online":
            engine.clear("node", t.id, name, at=t.ts)
        else:
            severity = "major" if name == "kiosk_offline" else "critical"
            engine.raise_(
                source="hub",
                entity="node",
                target=t.id,
                node=t.id,
                kind=t.kind,
                alarm=name,
                severity=severity,
                text=f"node offline: {t.reason}",
                at=t.ts,
            )

    # -- sinks -------------------------------------------------------------------------------

    def accept(self, topic: Topic, message: p.Message, received: float) -> None:
        """ALARM and DATA messages (registered for both verbs)."""
        if isinstance(message, p.Alarm):
            self._agent_alarm(topic, message, received)
        elif isinstance(message, p.Data) and topic.device is not None and not message.historical:
            self._values(topic.device, topic.node, message.metrics, received)

    def _agent_alarm(self, topic: Topic, msg: p.Alarm, received: float) -> None:
        entity, target = ("device", topic.device) if topic.device else ("node", topic.node)
        if msg.state == "raised":
            kind = self._kinds.get(target, ("", ""))[0] if entity == "device" else topic.kind.value
            self._engine.raise_(
                source="agent",
                entity=entity,
                target=target,
                node=topic.node,
                kind=kind,
                alarm=msg.alarm,
                severity=msg.severity,
                resource=msg.resource,
                text=msg.text,
                at=msg.ts / 1000 if msg.historical else received,
            )
        else:
            at = msg.ts / 1000 if msg.historical else received
            self._engine.clear(entity, target, msg.alarm, msg.resource, text=msg.text, at=at)

    def _values(self, device: str, node: str, samples: list[p.Sample], now: float) -> None:
        # Most DATA carry counters and gauges no rule reads: one set probe per sample, then out.
        if _WATCHED.isdisjoint([s.name for s in samples]):
            return
        oper_seen = False
        down: set[str] = set()
        admin_up: set[str] = set()
        cells_seen = False
        disabled: set[str] = set()
        battery: bool | None = None
        low: bool | None = None
        for s in samples:
            name = s.name
            if name == "if_oper_status":
                oper_seen = True
                if s.value == 1 and s.labels.get("if_oper_status") == "down":
                    down.add(s.labels.get("ifname", ""))
            elif name == "if_admin_status":
                if s.value == 1 and s.labels.get("if_admin_status") == "up":
                    admin_up.add(s.labels.get("ifname", ""))
            elif name == "gnb_cell_oper_state":
                cells_seen = True
                if s.value == 1 and s.labels.get("gnb_cell_oper_state") == "disabled":
                    disabled.add(s.labels.get("cell", ""))
            elif name == "ups_output_source":
                if s.labels.get("ups_output_source") == "battery":
                    battery = s.value == 1
            elif name == "ups_battery_status" and s.labels.get("ups_battery_status") in _LOW_BATTERY:
                low = bool(low) or s.value == 1
        kind = self._kinds.get(device, ("", node))[0]
        if oper_seen:
            self._set(
                device, node, kind, "link_down", resources=down & admin_up if admin_up else down, now=now
            )
        if cells_seen:
            self._set(device, node, kind, "cell_down", resources=disabled, now=now)
        if battery is not None:
            self._set(device, node, kind, "on_battery", resources={""} if battery else set(), now=now)
        if low is not None:
            self._set(device, node, kind, "low_battery", resources={""} if low else set(), now=now)

    def _set(self, device: str, node: str, kind: str, alarm: str, *, resources: set[str], now: float) -> None:
        """Make the active ``alarm``s of ``device`` be exactly one per resource in ``resources``."""
        engine = self._engine
        active = {a.resource for a in engine.active_for(device) if a.alarm == alarm and a.source == "hub"}
        for resource in resources - active:
            engine.raise_(
                source="hub",
                entity="device",
                target=device,
                node=node,
                kind=kind,
                alarm=alarm,
                severity=VALUE_SEVERITY[alarm],
                resource=resource,
                text=_TEXT[alarm].format(resource),
                at=now,
            )
        for resource in active - resources:
            engine.clear("device", device, alarm, resource, at=now)


_TEXT = {
    "link_down": "interface {} is administratively up but operationally down",
    "cell_down": "cell {} is disabled",
    "on_battery": "mains power lost: the UPS runs on battery",
    "low_battery": "UPS battery low or depleted",
}
