"""One example per v1 topic; docs/contract.md is generated from this table.

The examples are real in the sense that matters: each is encoded, decoded and
compared by the contract tests, and the docs test fails if docs/contract.md
drifts from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from contract import payloads as p
from contract.topics import HUB_STATE_TOPIC, NodeKind, Verb, content_topic, node_topic

TS = 1795950000000  # 2026-11-29T10:20:00Z


@dataclass(frozen=True)
class Example:
    """A documented topic: who sends it, how, and a payload."""

    title: str
    topic: str
    sender: str
    retained: bool
    meaning: str
    payload: msgspec.Struct


_AG = ("agent", "edge-bz-01")
_DEV = "gnb-0001"
_KI = "kiosk-bz-0001"

EXAMPLES: tuple[Example, ...] = (
    Example(
        "Hub state",
        HUB_STATE_TOPIC,
        "hub",
        True,
        "Retained. Published online on every connect; the hub's Will is the same with online=false. "
        "Nodes that see the hub offline keep data in their outbox and replay it, flagged historical.",
        p.HubState(online=True, ts=TS),
    ),
    Example(
        "Node birth (edge agent)",
        node_topic(NodeKind.AGENT, _AG[1], Verb.BIRTH),
        "agent",
        False,
        "First message of a session, seq 0, same bd_seq as the Will of the CONNECT before it. "
        "Lists every device behind the node; a device missing from the list is gone.",
        p.NodeBirth(
            ts=TS,
            seq=0,
            bd_seq=7,
            version="0.1.0",
            labels={"county": "巴州区"},
            properties={"hostname": "edge-bz-01"},
            metrics=[
                p.MetricDef(
                    name="agent_poll_duration_seconds",
                    type="gauge",
                    unit="seconds",
                    help="Duration of the last poll cycle over all targets",
                )
            ],
            devices=[_DEV, "ups-0001"],
        ),
    ),
    Example(
        "Node birth (kiosk)",
        node_topic(NodeKind.KIOSK, _KI, Verb.BIRTH),
        "kiosk",
        False,
        "A kiosk session; labels place it in its village.",
        p.NodeBirth(
            ts=TS,
            seq=0,
            bd_seq=3,
            version="0.1.0",
            labels={"county": "巴州区", "township": "bz-t01", "village": "bz-t01-v01"},
        ),
    ),
    Example(
        "Node death",
        node_topic(NodeKind.AGENT, _AG[1], Verb.DEATH),
        "agent (as MQTT Will)",
        False,
        "Registered as the Will at CONNECT and sent before a clean disconnect. The hub applies it only "
        "when bd_seq equals the current birth's, so a late Will never kills a newer session.",
        p.NodeDeath(ts=TS, bd_seq=7),
    ),
    Example(
        "Device birth",
        node_topic(NodeKind.AGENT, _AG[1], Verb.BIRTH, _DEV),
        "agent",
        False,
        "A device behind the agent answers SNMP (again), or the node was asked to rebirth. "
        "Declares every metric the device will report.",
        p.DeviceBirth(
            ts=TS,
            seq=1,
            kind="gnb",
            labels={"county": "巴州区", "township": "bz-t01", "village": "bz-t01-v01", "site": "site-0001"},
            properties={"sys_name": _DEV, "sys_descr": "cunlink simulated gNB"},
            metrics=[
                p.MetricDef(
                    name="if_hc_in_octets",
                    type="counter",
                    unit="bytes",
                    labels=["ifname"],
                    help="Octets received (IF-MIB ifHCInOctets)",
                )
            ],
        ),
    ),
    Example(
        "Device death",
        node_topic(NodeKind.AGENT, _AG[1], Verb.DEATH, _DEV),
        "agent",
        False,
        "The device stopped answering; its values are stale until its next birth.",
        p.DeviceDeath(ts=TS, seq=9, reason="timeout"),
    ),
    Example(
        "Device data",
        node_topic(NodeKind.AGENT, _AG[1], Verb.DATA, _DEV),
        "agent",
        False,
        "One message per device per poll cycle. Counters are raw, monotonic, 64-bit. "
        "historical=true marks a replay from the outbox: it never overwrites live values.",
        p.Data(
            ts=TS,
            seq=2,
            metrics=[
                p.Sample(name="if_hc_in_octets", value=9876543210, labels={"ifname": "eth0"}),
                p.Sample(name="sys_uptime_seconds", value=86400.5),
            ],
        ),
    ),
    Example(
        "Node data",
        node_topic(NodeKind.KIOSK, _KI, Verb.DATA),
        "agent or kiosk",
        False,
        "The node's own health: a heartbeat with its self-metrics.",
        p.Data(ts=TS, seq=5, metrics=[p.Sample(name="outbox_depth", value=0)]),
    ),
    Example(
        "Alarm",
        node_topic(NodeKind.AGENT, _AG[1], Verb.ALARM, _DEV),
        "agent",
        False,
        "A fault raised or cleared (from a trap or a poll). resource names the part affected.",
        p.Alarm(
            ts=TS,
            seq=3,
            alarm="link_down",
            state="raised",
            severity="major",
            resource="eth1",
            text="linkDown trap: ifIndex 2",
        ),
    ),
    Example(
        "Event",
        node_topic(NodeKind.KIOSK, _KI, Verb.EVENT),
        "agent or kiosk",
        False,
        "Something that happened once: a device reboot, a kiosk session that ended "
        "(usage only; never the content of an appeal).",
        p.Event(
            ts=TS, seq=6, event="session_end", attrs={"duration_s": 184, "services": 2, "elder_mode": True}
        ),
    ),
    Example(
        "Request",
        node_topic(NodeKind.KIOSK, _KI, Verb.REQ),
        "kiosk",
        False,
        "A transactional message (appeal, rating, vote, help call, receipt query). id is generated once "
        "by the kiosk and reused on every retry; the hub stores each id once.",
        p.Request(
            ts=TS,
            seq=7,
            id="01JD6Q8R2M4K9V3X",
            body=p.Appeal(category="roads", village="bz-t01-v01", text="村口的路灯坏了三天了", contact=None),
        ),
    ),
    Example(
        "Reply",
        node_topic(NodeKind.KIOSK, _KI, Verb.REPLY),
        "hub",
        False,
        "The hub's answer to a request, correlated by id. A kiosk deletes the request from its "
        "outbox only on stored or duplicate.",
        p.Reply(ts=TS, id="01JD6Q8R2M4K9V3X", status="stored", receipt="BZ7K3Q"),
    ),
    Example(
        "Reply: receipt status",
        node_topic(NodeKind.KIOSK, _KI, Verb.REPLY),
        "hub",
        False,
        "The answer to a receipt query.",
        p.Reply(
            ts=TS,
            id="01JD6Q9A7H2N5T8W",
            status="result",
            receipt="BZ7K3Q",
            result={
                "receipt": "BZ7K3Q",
                "status": "in_progress",
                "status_notes": "已派电工，明天上午维修",
                "updated": TS,
            },
        ),
    ),
    Example(
        "Command",
        node_topic(NodeKind.AGENT, _AG[1], Verb.CMD),
        "hub",
        False,
        "A command to a node. rebirth: re-send the node birth and every device birth with the same "
        "bd_seq (sent on seq gaps and to rebuild state after a hub restart).",
        p.Command(ts=TS, command="rebirth"),
    ),
    Example(
        "Command: receipt status",
        node_topic(NodeKind.KIOSK, _KI, Verb.CMD),
        "hub",
        False,
        "A work order filed at this kiosk changed status; sent again after the kiosk's next BIRTH "
        "if it was offline, so every kiosk can show the current status of its receipts.",
        p.Command(
            ts=TS,
            command="receipt_status",
            args={"receipt": "BZ7K3Q", "status": "resolved", "status_notes": "路灯已修好", "updated": TS},
        ),
    ),
    Example(
        "Command: help call status",
        node_topic(NodeKind.KIOSK, _KI, Verb.CMD),
        "hub",
        False,
        "A help call made at this kiosk moved on: notified (the on-duty cadre's notice was "
        "delivered), acknowledged (confirmed in the console) or arrived; name is who is coming. "
        "Sent only while the kiosk is online (the villager may still be waiting), never re-sent.",
        p.Command(
            ts=TS,
            command="help_status",
            args={"id": "01JD6Q8R2M4K9V3XHELP", "status": "acknowledged", "name": "王书记"},
        ),
    ),
    Example(
        "Content",
        content_topic("notices", "village", "bz-t01-v01"),
        "hub",
        True,
        "Retained content for kiosks. Scopes: cl/v1/content/all/{kind}, and "
        "cl/v1/content/{county|township|village}/{code}/{kind}; a kiosk subscribes to its four "
        "and a narrower scope's item overrides a wider one's with the same id. body has the shape "
        "of the kiosk's content file of that kind (docs/kiosk.md).",
        p.Content(
            ts=TS,
            version="2026.11.29-1",
            kind="notices",
            body={
                "items": [
                    {
                        "id": "n-2026-118",
                        "title": "冬季用电安全",
                        "date": "2026-11-28",
                        "body": "天冷用电取暖，不要私拉电线，出门记得关电源。",
                    }
                ]
            },
        ),
    ),
)
