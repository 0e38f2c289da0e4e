"""The agent's MQTT session (Sparkplug B model, contract v1), independent of paho.

It knows which devices exist and which answer, and turns poller and trap
reports into contract messages:

* a session starts when the broker connection is up *and* the hub's retained
  STATE says online (or, with ``wait_for_hub: false``, on connect): NodeBirth
  (seq 0, bdSeq of the connection's Will), a DeviceBirth per answering device,
  a DeviceDeath per silent one, then the outbox replay (:mod:`edge_agent.delivery`);
* BIRTH and DEATH go straight to the wire and are never stored: they describe
  the present, and every session re-births from it;
* DATA, ALARM and EVENT always go through the outbox, online or not;
* a device BIRTH when a device starts answering (or what it declares
  changes), a device DEATH once when it stops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import msgspec

from contract.codec import encode
from contract.payloads import (
    Alarm,
    Data,
    DeviceBirth,
    DeviceDeath,
    Event,
    MetricDef,
    NodeBirth,
    NodeDeath,
    Sample,
)
from contract.session import SeqCounter
from contract.topics import NodeKind, Verb, node_topic
from edge_agent.delivery import Delivery, restamp
from edge_agent.outbox import Stored
from edge_agent.poller import DeviceInfo

log = logging.getLogger(__name__)

#: Publishes an encoded message now; the MQTT message id, or None when not connected.
Publish = Callable[[str, bytes], int | None]
Attrs = dict[str, str | int | float | bool]


@dataclass(slots=True)
class _Device:
    info: DeviceInfo | None = None
    up: bool | None = None
    """None until the first poll; then whether the last poll got an answer."""
    born: bool = False
    """Whether a BIRTH for ``info`` went out in the current session."""


class NodeSession:
    """Births, deaths, seq and the path of every node message."""

    def __init__(
        self,
        node_id: str,
        *,
        version: str,
        devices: list[str],
        delivery: Delivery,
        wall: Callable[[], int],
        labels: dict[str, str] | None = None,
        properties: dict[str, str] | None = None,
        metrics: list[MetricDef] | None = None,
    ) -> None:
        self.node_id = node_id
        self.version = version
        self.labels = labels or {}
        self.properties = properties or {}
        self.metrics = metrics or []
        self._devices = {device: _Device() for device in devices}
        self._delivery = delivery
        self._wall = wall
        self._seq = SeqCounter()
        self._publish: Publish | None = None
        self.bd_seq: int | None = None
        """bdSeq of the current session; None while there is none."""
        self.births = 0

    def topic(self, verb: Verb, device: str | None = None) -> str:
        """A topic of this node."""
        return node_topic(NodeKind.AGENT, self.node_id, verb, device)

    @property
    def online(self) -> bool:
        """Whether a session is up."""
        return self._publish is not None

    def death_payload(self, bd_seq: int) -> bytes:
        """The node DEATH for a connection with ``bd_seq`` (its Will, and the last word of a clean stop)."""
        return encode(NodeDeath(ts=self._wall(), bd_seq=bd_seq))

    def stamp(self, message: Stored, historical: bool) -> Stored:
        """Give a stored message this session's next seq (called by the delivery at wire time)."""
        return restamp(message, self._seq.take(), historical)

    # Session events (from the agent, on the event loop).

    def start(self, bd_seq: int, publish: Publish) -> None:
        """A session begins: birth everything, then let the outbox flow."""
        self.bd_seq = bd_seq
        self._publish = publish
        self._birth_all()
        self._delivery.start(lambda topic, message: publish(topic, encode(message)))

    def stop(self) -> None:
        """The session ended (connection lost or hub offline); every BIRTH must be repeated."""
        self.bd_seq = None
        self._publish = None
        self._delivery.stop()
        for state in self._devices.values():
            state.born = False

    def rebirth(self) -> None:
        """The hub asked for a rebirth (it saw a gap, or restarted)."""
        if self.online:
            self._birth_all()

    def _send(self, topic: str, message: msgspec.Struct) -> bool:
        assert self._publish is not None  # callers check online
        return self._publish(topic, encode(message)) is not None

    def _birth_all(self) -> None:
        assert self.bd_seq is not None  # only called in a session
        self.births += 1
        birth = NodeBirth(
            ts=self._wall(),
            seq=self._seq.birth(),
            bd_seq=self.bd_seq,
            version=self.version,
            labels=self.labels,
            properties=self.properties,
            metrics=self.metrics,
            devices=list(self._devices),
        )
        self._send(self.topic(Verb.BIRTH), birth)
        for device, state in self._devices.items():
            state.born = False
            if state.up and state.info is not None:
                self._birth_device(device, state)
            elif state.up is False:
                self._death_device(device, "unreachable")

    def _birth_device(self, device: str, state: _Device) -> None:
        assert state.info is not None  # callers check
        info = state.info
        message = DeviceBirth(
            ts=self._wall(),
            seq=self._seq.take(),
            kind=info.kind,
            labels=info.labels,
            properties=info.properties,
            metrics=info.metrics,
        )
        state.born = self._send(self.topic(Verb.BIRTH, device), message)

    def _death_device(self, device: str, reason: str) -> None:
        message = DeviceDeath(ts=self._wall(), seq=self._seq.take(), reason=reason)
        self._send(self.topic(Verb.DEATH, device), message)

    # Poller and trap reports (the poller's DeviceSink).

    def device_up(self, device: str, info: DeviceInfo) -> None:
        """The device answered; BIRTH it if this session has not, or if what it declares changed."""
        state = self._devices[device]
        changed = state.info != info
        state.up, state.info = True, info
        if self.online and (changed or not state.born):
            self._birth_device(device, state)

    def device_down(self, device: str, reason: str) -> None:
        """The device did not answer; DEATH once per outage."""
        state = self._devices[device]
        was_down = state.up is False
        state.up, state.born = False, False
        if self.online and not was_down:
            self._death_device(device, reason)

    def device_data(self, device: str, ts: int, samples: list[Sample]) -> None:
        """One cycle of a device's values (stored, then sent when a session is up)."""
        self._delivery.submit(self.topic(Verb.DATA, device), Data(ts=ts, seq=0, metrics=samples))

    def device_event(self, device: str, ts: int, event: str, attrs: Attrs) -> None:
        """A one-off event of a device (a reboot)."""
        self._delivery.submit(self.topic(Verb.EVENT, device), Event(ts=ts, seq=0, event=event, attrs=attrs))

    def device_alarm(
        self,
        device: str,
        ts: int,
        alarm: str,
        state: Literal["raised", "cleared"],
        *,
        severity: Literal["critical", "major", "minor", "warning"] = "major",
        resource: str = "",
        text: str = "",
    ) -> None:
        """A fault raised or cleared (from a trap)."""
        message = Alarm(
            ts=ts,
            seq=0,
            alarm=alarm,
            state=state,
            severity=severity,
            resource=resource[:128],
            text=text[:4000],
        )
        self._delivery.submit(self.topic(Verb.ALARM, device), message)

    def knows(self, device: str) -> bool:
        """Whether ``device`` is one of this node's devices."""
        return device in self._devices

    def node_data(self, samples: list[Sample]) -> None:
        """The agent's own health metrics."""
        self._delivery.submit(self.topic(Verb.DATA), Data(ts=self._wall(), seq=0, metrics=samples))
