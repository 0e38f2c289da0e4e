"""Declarative MIB tables compiled into a sorted, pre-encoded layout per device shape.

Device models (``simulator/models``) describe their objects as data: a
:class:`Scalar` or a :class:`Table` of :class:`Column` s, each with its SMI type
and a value function ``get(device, t, row)``. A :class:`Layout` flattens them
into instance OIDs sorted in SNMP order, with each OID's BER encoding computed
once, so GET is a dict lookup and GETNEXT a bisection. Devices with the same
kind and row counts share one layout; values are computed at request time from
the device's state and the simulated instant ``t``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from snmpcodec.ber import NO_SUCH_INSTANCE, NO_SUCH_OBJECT, Oid, encode_oid, oid_from_str

D = TypeVar("D")
Value = int | bytes | Oid
Getter = Callable[[D, float, int], Value]


@dataclass(frozen=True, slots=True)
class Scalar(Generic[D]):
    """A scalar object; its one instance is ``oid`` + ``.0``. ``get`` receives row 0."""

    oid: str
    name: str
    type: int
    get: Getter[D]


@dataclass(frozen=True, slots=True)
class Column(Generic[D]):
    """Column ``sub`` of a table entry; ``get`` receives the row position (0-based)."""

    sub: int
    name: str
    type: int
    get: Getter[D]


@dataclass(frozen=True, slots=True)
class Table(Generic[D]):
    """A conceptual table: ``entry`` OID, a row count per device, and its columns.

    Row ``i`` has instance index ``(i + 1,)``, which fits every table here
    (ifIndex, cell index, UPS line index).
    """

    entry: str
    name: str
    rows: Callable[[D], int]
    columns: tuple[Column[D], ...]


MibObject = Scalar[D] | Table[D]


class Layout(Generic[D]):
    """Sorted instance OIDs for one device shape, with their encodings and value functions."""

    __slots__ = ("_exact", "_objects", "enc", "getters", "names", "oids", "rows", "types")

    def __init__(self, objects: Iterable[MibObject[D]], device: D) -> None:
        entries: list[tuple[Oid, str, int, Getter[D], int]] = []
        object_oids: set[Oid] = set()
        for obj in objects:
            if isinstance(obj, Scalar):
                base = oid_from_str(obj.oid)
                object_oids.add(base)
                entries.append(((*base, 0), obj.name, obj.type, obj.get, 0))
                continue
            entry = oid_from_str(obj.entry)
            n = obj.rows(device)
            for col in obj.columns:
                object_oids.add((*entry, col.sub))
                entries.extend(((*entry, col.sub, i + 1), col.name, col.type, col.get, i) for i in range(n))
        entries.sort(key=lambda e: e[0])
        self.oids: list[Oid] = [e[0] for e in entries]
        if len(set(self.oids)) != len(self.oids):
            msg = "duplicate instance OIDs in MIB layout"
            raise ValueError(msg)
        self.names: list[str] = [e[1] for e in entries]
        self.types: list[int] = [e[2] for e in entries]
        self.getters: list[Getter[D]] = [e[3] for e in entries]
        self.rows: list[int] = [e[4] for e in entries]
        self.enc: list[bytes] = [encode_oid(o) for o in self.oids]
        self._exact: dict[Oid, int] = {o: i for i, o in enumerate(self.oids)}
        self._objects = frozenset(object_oids)

    def __len__(self) -> int:
        return len(self.oids)

    def find(self, oid: Oid) -> int | None:
        """Position of an exact instance OID, or ``None``."""
        return self._exact.get(oid)

    def missing_type(self, oid: Oid) -> int:
        """For a GET miss: noSuchInstance under a known object, else noSuchObject (RFC 3416 4.2.1)."""
        for k in range(len(oid) - 1, 0, -1):
            if oid[:k] in self._objects:
                return NO_SUCH_INSTANCE
        return NO_SUCH_OBJECT

    def next_position(self, oid: Oid) -> int:
        """Position of the first instance strictly after ``oid``; ``len(self)`` means endOfMibView."""
        return bisect.bisect_right(self.oids, oid)

    def value(self, pos: int, device: D, t: float) -> Value:
        return self.getters[pos](device, t, self.rows[pos])

    def walk(self, device: D, t: float) -> list[tuple[Oid, str, int, Value]]:
        """Every (oid, name, type, value) of a device at ``t``; for tests and ``--dump``."""
        return [(o, self.names[i], self.types[i], self.value(i, device, t)) for i, o in enumerate(self.oids)]
