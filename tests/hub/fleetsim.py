"""A fast stand-in for a city of edge agents: real paho clients speaking the contract over a real broker.

SNMP polling of 3,131 gNBs takes minutes to warm up; what the hub sees of it is BIRTHs,
DATA and DEATHs over MQTT, so these nodes publish exactly that, with a Will, bdSeq,
seq, and rebirth on command, like edge_agent/node.py.
"""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract import codec
from contract import payloads as p
from contract.session import SeqCounter
from contract.topics import NodeKind, Verb, node_topic
from tests.support.services import Mosquitto

METRICS = [
    p.MetricDef(name="sys_uptime_seconds", type="gauge", unit="seconds"),
    p.MetricDef(name="if_hc_in_octets", type="counter", unit="bytes", labels=["ifname"]),
    p.MetricDef(name="if_oper_status", type="stateset", labels=["ifname", "if_oper_status"]),
    p.MetricDef(name="gnb_cells", type="gauge"),
]


class FleetNode:
    """One agent with its devices; thread-safe enough for tests (all sends under one lock)."""

    def __init__(self, broker: Mosquitto, node: str, devices: list[str], bd_seq: int = 1) -> None:
        self.node, self.devices, self.bd_seq = node, devices, bd_seq
        self.seq = SeqCounter()
        self.rebirths = 0
        self.cycle = 0
        self._lock = threading.Lock()
        self._ts = 1_750_000_000_000
        client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=node)
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        death = codec.encode(p.NodeDeath(ts=self._ts, bd_seq=bd_seq))
        client.will_set(self._topic(Verb.DEATH), death, qos=1)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        self._client = client
        client.connect(broker.host, broker.port, keepalive=30)
        client.loop_start()

    def _topic(self, verb: Verb, device: str | None = None) -> str:
        return node_topic(NodeKind.AGENT, self.node, verb, device)

    def _send(self, topic: str, message: Any) -> None:
        self._client.publish(topic, codec.encode(message), qos=1)

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(self._topic(Verb.CMD), qos=1)
        self.births()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        command = codec.decode_as(message.payload, p.Command)
        if command.command == "rebirth":
            self.rebirths += 1
            self.births()

    def births(self) -> None:
        """NodeBirth and a DeviceBirth per device (same bdSeq), then one cycle of DATA."""
        with self._lock:
            self._send(
                self._topic(Verb.BIRTH),
                p.NodeBirth(ts=self._ts, seq=self.seq.birth(), bd_seq=self.bd_seq, version="0.1.0",
                            labels={"county": self.node}, devices=self.devices),
            )  # fmt: skip
            for device in self.devices:
                birth = p.DeviceBirth(ts=self._ts, seq=self.seq.take(), kind="gnb", metrics=METRICS)
                self._send(self._topic(Verb.BIRTH, device), birth)
        self.data()

    def data(self) -> None:
        """One DATA per device."""
        with self._lock:
            self.cycle += 1
            for device in self.devices:
                samples = [
                    p.Sample(name="sys_uptime_seconds", value=1000 + self.cycle),
                    p.Sample(
                        name="if_hc_in_octets", value=10_000 * self.cycle, labels={"ifname": "xgei-0/0/1"}
                    ),
                    p.Sample(name="gnb_cells", value=3),
                ]
                self._send(
                    self._topic(Verb.DATA, device), p.Data(ts=self._ts, seq=self.seq.take(), metrics=samples)
                )

    def close(self) -> None:
        """Clean stop: DEATH first (a clean DISCONNECT suppresses the Will)."""
        info = self._client.publish(
            self._topic(Verb.DEATH), codec.encode(p.NodeDeath(ts=self._ts, bd_seq=self.bd_seq)), qos=1
        )
        info.wait_for_publish(5)
        self._client.disconnect()
        self._client.loop_stop()
