"""Contract messages as a well-behaved node would send them, for feeding the hub in tests."""

from __future__ import annotations

from contract import codec
from contract import payloads as p
from contract.session import SeqCounter
from contract.topics import NodeKind, Verb, node_topic

Message = tuple[str, bytes]

GNB_METRICS = [
    p.MetricDef(name="if_hc_in_octets", type="counter", help="Octets in.", unit="bytes", labels=["ifname"]),
    p.MetricDef(name="cpu_usage_ratio", type="gauge", help="CPU busy."),
    p.MetricDef(name="radio", type="info", labels=["band"]),
]
PLACE = {"county": "bazhou", "township": "dongcheng", "village": "qinglong", "site": "s-001"}


class FakeNode:
    """One edge agent or kiosk: keeps its own seq and bdSeq like the real producers."""

    def __init__(self, node: str = "edge-1", kind: NodeKind = NodeKind.AGENT, bd_seq: int = 1) -> None:
        self.node = node
        self.kind = kind
        self.bd_seq = bd_seq
        self.ts = 1_750_000_000_000
        self.seq = SeqCounter()

    def topic(self, verb: Verb, device: str | None = None) -> str:
        return node_topic(self.kind, self.node, verb, device)

    def birth(
        self,
        devices: list[str] | None = None,
        labels: dict[str, str] | None = None,
        metrics: list[p.MetricDef] | None = None,
        version: str = "0.1.0",
    ) -> Message:
        msg = p.NodeBirth(
            ts=self.ts,
            seq=self.seq.birth(),
            bd_seq=self.bd_seq,
            version=version,
            labels=labels if labels is not None else {"county": "bazhou"},
            metrics=metrics or [],
            devices=devices or [],
        )
        return self.topic(Verb.BIRTH), codec.encode(msg)

    def reconnect(self) -> None:
        """A new MQTT connection: the next BIRTH carries the next bdSeq."""
        self.bd_seq = (self.bd_seq + 1) % 256

    def death(self, bd_seq: int | None = None) -> Message:
        msg = p.NodeDeath(ts=self.ts, bd_seq=self.bd_seq if bd_seq is None else bd_seq)
        return self.topic(Verb.DEATH), codec.encode(msg)

    def device_birth(
        self,
        device: str,
        kind: str = "gnb",
        metrics: list[p.MetricDef] | None = None,
        labels: dict[str, str] | None = None,
    ) -> Message:
        msg = p.DeviceBirth(
            ts=self.ts,
            seq=self.seq.take(),
            kind=kind,
            labels=labels if labels is not None else {"site": "s-001", "village": "qinglong"},
            metrics=GNB_METRICS if metrics is None else metrics,
        )
        return self.topic(Verb.BIRTH, device), codec.encode(msg)

    def device_death(self, device: str, reason: str = "unreachable") -> Message:
        msg = p.DeviceDeath(ts=self.ts, seq=self.seq.take(), reason=reason)
        return self.topic(Verb.DEATH, device), codec.encode(msg)

    def data(self, device: str | None = None, *samples: p.Sample, historical: bool = False) -> Message:
        msg = p.Data(ts=self.ts, seq=self.seq.take(), historical=historical, metrics=list(samples))
        return self.topic(Verb.DATA, device), codec.encode(msg)

    def event(self, name: str = "reboot") -> Message:
        msg = p.Event(ts=self.ts, seq=self.seq.take(), event=name)
        return self.topic(Verb.EVENT), codec.encode(msg)

    def skip(self, n: int = 1) -> None:
        """Lose ``n`` messages (their seq numbers are used up)."""
        for _ in range(n):
            self.seq.take()


def octets(ifname: str, value: float) -> p.Sample:
    return p.Sample(name="if_hc_in_octets", value=value, labels={"ifname": ifname})


def cpu(value: float) -> p.Sample:
    return p.Sample(name="cpu_usage_ratio", value=value)
