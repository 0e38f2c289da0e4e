"""The agent's own metrics (named like snmp_exporter's where they mean the same thing).

Per-device numbers ride in each device's own DATA (declared in its BIRTH), so
the node's DATA stays bounded however many devices a site has: a site of
3,000 gNBs times 15 per-device series would not fit one 256 KiB message. The
node DATA carries totals over all devices plus the outbox, delivery, MQTT and
trap figures. Labels are bounded: ``reason`` is a fixed vocabulary of error
tokens, ``priority``/``mode``/``version`` have two or three values each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from contract.payloads import MetricDef, Sample

if TYPE_CHECKING:
    from edge_agent.delivery import Delivery
    from edge_agent.link import MqttLink
    from edge_agent.poller import TargetPoller
    from edge_agent.traps import TrapStats

_Def = tuple[str, Literal["counter", "gauge"], str, str, list[str]]

_DEVICE: list[_Def] = [
    ("edge_poll_duration_seconds", "gauge", "duration of this poll of the device", "seconds", []),
    ("edge_poll_cycles_total", "counter", "polls started", "", []),
    ("edge_poll_failures_total", "counter", "polls in which the device did not answer", "", []),
    ("edge_poll_partial_total", "counter", "polls in which part of the requests failed", "", []),
    ("edge_poll_skipped_total", "counter", "poll slots skipped because a poll ran past its slot", "", []),
    ("edge_device_reboots_total", "counter", "reboots seen (engineBoots or sysUpTime)", "", []),
    ("edge_wraps_total", "counter", "32-bit counter wraps extended", "", []),
    ("edge_snmp_requests_total", "counter", "SNMP request PDUs sent, retries not counted", "", []),
    ("edge_snmp_retries_total", "counter", "SNMP requests sent again after a timeout", "", []),
    ("edge_snmp_timeouts_total", "counter", "SNMP requests unanswered after all retries", "", []),
    ("edge_snmp_varbinds_total", "counter", "var-binds received", "", []),
    ("edge_snmp_bulk_fallbacks_total", "counter", "switches from GETBULK to GETNEXT", "", []),
    ("edge_snmp_errors_total", "counter", "SNMP and poll errors other than timeouts", "", ["reason"]),
]
_NODE: list[_Def] = [
    ("edge_devices", "gauge", "devices by their state at their last poll", "", ["state"]),
    ("edge_poll_cycles_total", "counter", "polls started, all devices", "", []),
    ("edge_poll_failures_total", "counter", "polls without an answer, all devices", "", []),
    ("edge_poll_skipped_total", "counter", "poll slots skipped, all devices", "", []),
    ("edge_snmp_requests_total", "counter", "SNMP request PDUs sent, all devices", "", []),
    ("edge_snmp_timeouts_total", "counter", "SNMP requests unanswered, all devices", "", []),
    ("edge_snmp_errors_total", "counter", "SNMP and poll errors, all devices", "", ["reason"]),
    ("edge_outbox_depth", "gauge", "messages stored, not yet acknowledged by the broker", "", []),
    ("edge_outbox_bytes", "gauge", "bytes stored in the outbox", "bytes", []),
    ("edge_outbox_oldest_age_seconds", "gauge", "age of the oldest stored message", "seconds", []),
    (
        "edge_outbox_dropped_total",
        "counter",
        "messages dropped by the outbox bounds",
        "",
        ["priority", "reason"],
    ),
    (
        "edge_replay_lag_seconds",
        "gauge",
        "age of the next stored message to replay (0 when caught up)",
        "seconds",
        [],
    ),
    ("edge_messages_sent_total", "counter", "messages handed to the broker", "", ["mode"]),
    ("edge_messages_acked_total", "counter", "messages the broker acknowledged (then deleted)", "", []),
    ("edge_mqtt_connects_total", "counter", "successful MQTT connections (each one re-births)", "", []),
    ("edge_hub_online", "gauge", "1 while the hub's retained STATE says online", "", []),
    ("edge_traps_total", "counter", "notifications received", "", ["version"]),
    ("edge_traps_rejected_total", "counter", "notifications rejected (community, malformed)", "", []),
    ("edge_traps_unattributed_total", "counter", "notifications matched to no device", "", []),
]


def _defs(rows: list[_Def]) -> list[MetricDef]:
    return [MetricDef(name=n, type=t, help=h, unit=u, labels=list(labels)) for n, t, h, u, labels in rows]


DEVICE_METRICS = _defs(_DEVICE)
NODE_METRICS = _defs(_NODE)


def device_samples(poller: TargetPoller) -> list[Sample]:
    """A device's own numbers, appended to its DATA."""
    health = poller.health
    stats = poller.transport.stats
    walker = poller.collector.walker
    values: list[tuple[str, int | float]] = [
        ("edge_poll_duration_seconds", round(health.last_duration, 6)),
        ("edge_poll_cycles_total", health.cycles),
        ("edge_poll_failures_total", health.failures),
        ("edge_poll_partial_total", health.partial),
        ("edge_poll_skipped_total", health.skipped),
        ("edge_device_reboots_total", health.reboots),
        ("edge_wraps_total", poller.collector.counters.wraps),
        ("edge_snmp_requests_total", stats.requests),
        ("edge_snmp_retries_total", stats.retries),
        ("edge_snmp_timeouts_total", stats.timeouts),
        ("edge_snmp_varbinds_total", stats.varbinds),
        ("edge_snmp_bulk_fallbacks_total", walker.stats.bulk_fallbacks),
    ]
    out = [Sample(name=name, value=value) for name, value in values]
    out += [
        Sample(name="edge_snmp_errors_total", value=count, labels={"reason": reason})
        for reason, count in sorted(_errors(poller).items())
    ]
    return out


def _errors(poller: TargetPoller) -> dict[str, int]:
    reasons = dict(poller.transport.stats.errors)
    for reason, count in poller.health.errors.items():
        reasons[reason] = reasons.get(reason, 0) + count
    return reasons


def node_samples(
    pollers: Sequence[TargetPoller],
    delivery: Delivery,
    *,
    link: MqttLink | None,
    hub_online: bool,
    traps: TrapStats | None,
    wall_ms: int,
) -> list[Sample]:
    """The node's DATA: totals over devices, outbox, delivery, MQTT, traps."""
    up = sum(1 for p in pollers if p.health.up)
    down = sum(1 for p in pollers if p.health.up is False)
    errors: dict[str, int] = {}
    for poller in pollers:
        for reason, count in _errors(poller).items():
            errors[reason] = errors.get(reason, 0) + count
    outbox = delivery.outbox
    oldest = outbox.oldest_ts()
    out = [
        Sample(name="edge_devices", value=up, labels={"state": "up"}),
        Sample(name="edge_devices", value=down, labels={"state": "down"}),
        Sample(name="edge_devices", value=len(pollers) - up - down, labels={"state": "unknown"}),
        Sample(name="edge_poll_cycles_total", value=sum(p.health.cycles for p in pollers)),
        Sample(name="edge_poll_failures_total", value=sum(p.health.failures for p in pollers)),
        Sample(name="edge_poll_skipped_total", value=sum(p.health.skipped for p in pollers)),
        Sample(name="edge_snmp_requests_total", value=sum(p.transport.stats.requests for p in pollers)),
        Sample(name="edge_snmp_timeouts_total", value=sum(p.transport.stats.timeouts for p in pollers)),
        *(
            Sample(name="edge_snmp_errors_total", value=count, labels={"reason": reason})
            for reason, count in sorted(errors.items())
        ),
        Sample(name="edge_outbox_depth", value=outbox.depth),
        Sample(name="edge_outbox_bytes", value=outbox.size),
        Sample(
            name="edge_outbox_oldest_age_seconds", value=max(0.0, (wall_ms - oldest) / 1000) if oldest else 0
        ),
        *(
            Sample(name="edge_outbox_dropped_total", value=count, labels={"priority": prio, "reason": reason})
            for (prio, reason), count in sorted(outbox.drops.by_reason.items())
        ),
        Sample(name="edge_replay_lag_seconds", value=round(delivery.stats.replay_lag_s, 3)),
        Sample(name="edge_messages_sent_total", value=delivery.stats.sent_live, labels={"mode": "live"}),
        Sample(name="edge_messages_sent_total", value=delivery.stats.sent_replay, labels={"mode": "replay"}),
        Sample(name="edge_messages_acked_total", value=delivery.stats.acked),
        Sample(name="edge_mqtt_connects_total", value=link.connects if link is not None else 0),
        Sample(name="edge_hub_online", value=int(hub_online)),
    ]
    if traps is not None:
        out += [
            Sample(name="edge_traps_total", value=count, labels={"version": version})
            for version, count in sorted(traps.received.items())
        ]
        out += [
            Sample(name="edge_traps_rejected_total", value=traps.rejected),
            Sample(name="edge_traps_unattributed_total", value=traps.unattributed),
        ]
    return out
