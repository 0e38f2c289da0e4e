"""The session model's entities: nodes and devices, their declared metrics and latest values.

Values are replaced, never mutated (copy-on-write), so a snapshot taken on the event loop
stays consistent while a render thread reads it and ingest carries on. The rules that
change them are :class:`hub.state.FleetState`'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from contract.payloads import Sample
from contract.topics import NodeKind
from hub.ingest.reorder import SeqWindow
from hub.series import SeriesDef, SeriesKey

NodeKey = tuple[NodeKind, str]


@dataclass(slots=True)
class Owner:
    """A node or a device: definitions from its BIRTH, values from its DATA, session facts."""

    defs: Mapping[str, SeriesDef] = field(default_factory=dict)
    values: Mapping[SeriesKey, float] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    online: bool = False
    pending: bool = False
    """Restored from the inventory after a hub restart and not re-born yet: state unknown."""
    first_seen: float = 0.0
    born: float = 0.0
    last_seen: float = 0.0
    died: float | None = None
    data_ts: int = 0
    """Payload time (ms) of the newest DATA applied; a late DATA older than it is not applied."""

    def merge(self, samples: Iterable[Sample], dropped: Counter[str], room: int) -> int:
        """Store ``samples`` that the BIRTH declared; returns how many new series were added.

        ``room`` is how many new series the cap still allows; the rest count in ``dropped``.
        """
        defs = self.defs
        current = self.values
        values: dict[SeriesKey, float] | None = None
        added = 0
        for sample in samples:
            definition = defs.get(sample.name)
            if definition is None:
                dropped["undeclared"] += 1
                continue
            # SeriesDef.key, inlined: this runs for every sample of every DATA. One label is
            # the common case; it skips building the tuple through map().
            names, labels = definition.labels, sample.labels
            count = len(names)
            if len(labels) != count:
                dropped["labels"] += 1
                continue
            if count == 1:
                only = labels.get(names[0])
                if only is None:
                    dropped["labels"] += 1
                    continue
                key: SeriesKey = (definition.name, (only,))
            elif count:
                try:
                    key = (definition.name, tuple(map(labels.__getitem__, names)))
                except KeyError:
                    dropped["labels"] += 1
                    continue
            else:
                key = (definition.name, ())
            if key not in current:
                if added >= room:
                    dropped["limit"] += 1
                    continue
                added += 1
            if values is None:
                current = values = dict(current)
            values[key] = float(sample.value)
        if values is not None:
            self.values = values
        return added


@dataclass(slots=True)
class Node(Owner):
    """An edge node (agent, kiosk...) and its Sparkplug session."""

    kind: NodeKind = NodeKind.AGENT
    id: str = ""
    bd_seq: int = 0
    version: str = ""
    seq: SeqWindow = field(default_factory=lambda: SeqWindow(0.0))
    seq_gaps: int = 0
    devices: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Device(Owner):
    """A device (gNB, OLT...) that a node speaks for."""

    id: str = ""
    node: NodeKey = (NodeKind.AGENT, "")
    kind: str = ""
    death_reason: str | None = None
    birth_ts: int = 0
    """Payload time (ms) of the BIRTH of the current session."""


def state_of(owner: Owner) -> str:
    """``online``, ``offline``, or ``unknown`` (restored after a restart, not re-born yet)."""
    if owner.online:
        return "online"
    return "unknown" if owner.pending else "offline"
