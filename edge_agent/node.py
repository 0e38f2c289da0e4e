"""The agent's MQTT session (Sparkplug B model, contract v1), independent of paho.

It knows which devices exist and which answer, and turns poller reports into
contract messages with the right ``seq``:

* on every (re)connect and on a ``rebirth`` command: NodeBirth (seq 0, bdSeq of
  the connection's Will, version, labels, every device id), then a DeviceBirth
  per answering device and a DeviceDeath per silent one, then the DATA held
  while offline, flagged ``historical`` and re-numbered in the new session;
* a device BIRTH when a device starts answering (or its properties change),
  a device DEATH once when it stops;
* a DATA per device per cycle and one for the node itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import msgspec

from contract.payloads import Data, DeviceBirth, DeviceDeath, Event, MetricDef, NodeBirth, NodeDeath, Sample
from contract.session import SeqCounter
from contract.topics import NodeKind, Verb, node_topic
from edge_agent.outbox import MemoryOutbox
from edge_agent.poller import DeviceInfo, WallMs, wall_ms

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Device:
    info: DeviceInfo | None = None
    up: bool | None = None
    """None until the first poll; then whether the last poll got an answer."""
    born: bool = False
    """Whether a BIRTH for ``info`` went out in the current MQTT session."""


class NodeSession:
    """Births, deaths and data of one agent node and the devices behind it."""

    def __init__(
        self,
        node_id: str,
        *,
        version: str,
        devices: list[str],
        outbox: MemoryOutbox,
        labels: dict[str, str] | None = None,
        properties: dict[str, str] | None = None,
        metrics: list[MetricDef] | None = None,
        wall: WallMs = wall_ms,
    ) -> None:
        self.node_id = node_id
        self.version = version
        self.labels = labels or {}
        self.properties = properties or {}
        self.metrics = metrics or []
        self._devices = {device: _Device() for device in devices}
        self._out = outbox
        self._wall = wall
        self._seq = SeqCounter()
        self.bd_seq: int | None = None
        """bdSeq of the current connection; None while offline."""
        self.births = 0

    def topic(self, verb: Verb, device: str | None = None) -> str:
        """A topic of this node."""
        return node_topic(NodeKind.AGENT, self.node_id, verb, device)

    @property
    def online(self) -> bool:
        """Whether a connection (and so a session) is up."""
        return self.bd_seq is not None

    def death(self, bd_seq: int) -> NodeDeath:
        """The node DEATH for a connection with ``bd_seq`` (its Will, and the last word of a clean stop)."""
        return NodeDeath(ts=self._wall(), bd_seq=bd_seq)

    # Connection events (from the MQTT publisher, on the event loop).

    def connected(self, bd_seq: int) -> None:
        """A connection is up with a Will carrying ``bd_seq``: birth everything, then replay."""
        self.bd_seq = bd_seq
        self._birth_all()
        for topic, held in self._out.take():
            self._out.publish(topic, msgspec.structs.replace(held, seq=self._seq.take(), historical=True))

    def disconnected(self) -> None:
        """The connection is gone; every BIRTH must be repeated in the next session."""
        self.bd_seq = None
        for state in self._devices.values():
            state.born = False

    def rebirth(self) -> None:
        """The hub asked for a rebirth (it saw a gap, or restarted)."""
        if self.online:
            self._birth_all()

    def _birth_all(self) -> None:
        assert self.bd_seq is not None  # only called while online
        self.births += 1
        seq = self._seq.birth()
        self._out.publish(
            self.topic(Verb.BIRTH),
            NodeBirth(
                ts=self._wall(),
                seq=seq,
                bd_seq=self.bd_seq,
                version=self.version,
                labels=self.labels,
                properties=self.properties,
                metrics=self.metrics,
                devices=list(self._devices),
            ),
        )
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
        state.born = self._out.publish(self.topic(Verb.BIRTH, device), message)

    def _death_device(self, device: str, reason: str) -> None:
        self._out.publish(
            self.topic(Verb.DEATH, device), DeviceDeath(ts=self._wall(), seq=self._seq.take(), reason=reason)
        )

    # Poller reports (DeviceSink).

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
        """One cycle of a device's values."""
        self._out.publish(self.topic(Verb.DATA, device), Data(ts=ts, seq=self._seq.take(), metrics=samples))

    def device_event(
        self, device: str, ts: int, event: str, attrs: dict[str, str | int | float | bool]
    ) -> None:
        """A one-off event of a device (a reboot)."""
        if self.online:
            message = Event(ts=ts, seq=self._seq.take(), event=event, attrs=attrs)
            self._out.publish(self.topic(Verb.EVENT, device), message)
        else:
            log.info("%s: %s while offline, not sent", device, event)
            self._out.dropped += 1

    def node_data(self, samples: list[Sample]) -> None:
        """The agent's own health metrics."""
        self._out.publish(self.topic(Verb.DATA), Data(ts=self._wall(), seq=self._seq.take(), metrics=samples))
