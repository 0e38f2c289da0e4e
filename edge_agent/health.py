"""The agent's own metrics, sent as the node's DATA once per interval.

Named like snmp_exporter's self-metrics where they mean the same thing. The
only per-series label is ``device`` (bounded by the config) plus ``reason``
(a fixed vocabulary of error tokens), so cardinality stays targets x reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from contract.payloads import MetricDef, Sample
from edge_agent.outbox import MemoryOutbox
from edge_agent.poller import TargetPoller

_D = ["device"]
_DEFS: list[tuple[str, Literal["counter", "gauge"], str, str, list[str]]] = [
    ("edge_device_up", "gauge", "1 if the device answered its last poll, 0 if not", "", _D),
    ("edge_poll_duration_seconds", "gauge", "duration of the device's last poll", "seconds", _D),
    ("edge_poll_cycles_total", "counter", "polls started", "", _D),
    ("edge_poll_failures_total", "counter", "polls in which the device did not answer", "", _D),
    ("edge_poll_skipped_total", "counter", "poll slots skipped because a poll ran past its slot", "", _D),
    ("edge_device_reboots_total", "counter", "reboots seen (sysUpTime went back)", "", _D),
    ("edge_wraps_total", "counter", "32-bit counter wraps extended", "", _D),
    ("edge_snmp_requests_total", "counter", "SNMP request PDUs sent (without library retries)", "", _D),
    ("edge_snmp_responses_total", "counter", "SNMP response PDUs received", "", _D),
    ("edge_snmp_varbinds_total", "counter", "varbinds received", "", _D),
    ("edge_snmp_timeouts_total", "counter", "SNMP requests that got no answer after all retries", "", _D),
    (
        "edge_snmp_errors_total",
        "counter",
        "SNMP and poll errors other than timeouts",
        "",
        ["device", "reason"],
    ),
    ("edge_outbox_depth", "gauge", "DATA messages held in memory while the broker is unreachable", "", []),
    ("edge_outbox_dropped_total", "counter", "messages lost while the broker was unreachable", "", []),
    (
        "edge_outbox_superseded_total",
        "counter",
        "held DATA replaced by a newer cycle of the same device",
        "",
        [],
    ),
    ("edge_mqtt_connects_total", "counter", "successful MQTT connections (each one re-births)", "", []),
]

NODE_METRICS = [
    MetricDef(name=n, type=t, help=h, unit=u, labels=list(labels)) for n, t, h, u, labels in _DEFS
]


@dataclass(slots=True)
class NodeHealth:
    """Collects the numbers from pollers, their transports and the outbox."""

    pollers: Sequence[TargetPoller]
    outbox: MemoryOutbox
    connects: int = 0

    def samples(self) -> list[Sample]:
        """One snapshot of every node metric."""
        out: list[Sample] = []
        for poller in self.pollers:
            labels = {"device": poller.device}
            health, stats = poller.health, poller.transport.stats
            values: list[tuple[str, int | float]] = [
                ("edge_poll_cycles_total", health.cycles),
                ("edge_poll_failures_total", health.failures),
                ("edge_poll_skipped_total", health.skipped),
                ("edge_poll_duration_seconds", round(health.last_duration, 6)),
                ("edge_device_reboots_total", health.reboots),
                ("edge_wraps_total", poller.collector.counters.wraps),
                ("edge_snmp_requests_total", stats.requests),
                ("edge_snmp_responses_total", stats.responses),
                ("edge_snmp_varbinds_total", stats.varbinds),
                ("edge_snmp_timeouts_total", stats.timeouts),
            ]
            if health.up is not None:
                values.insert(0, ("edge_device_up", int(health.up)))
            out += [Sample(name=name, value=value, labels=labels) for name, value in values]
            reasons = dict(stats.errors)
            for reason, count in health.errors.items():
                reasons[reason] = reasons.get(reason, 0) + count
            out += [
                Sample(name="edge_snmp_errors_total", value=count, labels={**labels, "reason": reason})
                for reason, count in sorted(reasons.items())
            ]
        out += [
            Sample(name="edge_outbox_depth", value=self.outbox.depth),
            Sample(name="edge_outbox_dropped_total", value=self.outbox.dropped),
            Sample(name="edge_outbox_superseded_total", value=self.outbox.superseded),
            Sample(name="edge_mqtt_connects_total", value=self.connects),
        ]
        return out
