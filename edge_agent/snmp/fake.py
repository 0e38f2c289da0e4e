"""A transport that answers from a recorded walk, for unit tests of the poller.

Recordings use snmpsim's ``.snmprec`` format, one ``OID|TYPE|VALUE`` per line
(TYPE is the BER tag: 2 INTEGER, 4 OCTET STRING, ``4x`` hex, 6 OID, 64
IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64), so a real
device dump (``snmprec`` from snmpsim-record-commands) can be dropped in.
The fake records every request and can be told to fail, and tests change
values between polls with :meth:`set`.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from edge_agent.errors import EdgeAgentError
from edge_agent.snmp.transport import SnmpType, SnmpValue, TransportStats, VarBind, oid_key

_INT_TYPES = {SnmpType.INTEGER, SnmpType.COUNTER32, SnmpType.GAUGE32, SnmpType.TIMETICKS, SnmpType.COUNTER64}


def parse_snmprec(text: str) -> dict[str, SnmpValue]:
    """Parse ``OID|TYPE|VALUE`` lines; ``#`` starts a comment line."""
    values: dict[str, SnmpValue] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            oid, tag, raw = line.split("|", 2)
        except ValueError:
            msg = f"line {number}: expected OID|TYPE|VALUE, got {line!r}"
            raise ValueError(msg) from None
        oid = oid.strip().lstrip(".")
        hexed = tag.endswith("x")
        kind = SnmpType(tag.rstrip("x"))
        value: int | bytes | str
        if kind in _INT_TYPES:
            value = int(raw)
        elif kind in (SnmpType.OCTET_STRING, SnmpType.OPAQUE):
            value = bytes.fromhex(raw) if hexed else raw.encode()
        else:
            value = raw
        values[oid] = SnmpValue(kind, value)
    return values


def format_snmprec(varbinds: list[VarBind]) -> str:
    """Varbinds as ``.snmprec`` lines (strings that are not clean UTF-8 text are written as hex)."""
    lines = []
    for oid, value in varbinds:
        if not value.present:
            continue
        if isinstance(value.value, bytes):
            text = value.value.decode("utf-8", errors="replace")
            printable = text.isprintable() and "|" not in text and "\ufffd" not in text
            tag, raw = (value.type.value, text) if printable else (value.type.value + "x", value.value.hex())
        else:
            tag, raw = value.type.value, str(value.value)
        lines.append(f"{oid}|{tag}|{raw}")
    return "\n".join(lines) + "\n"


class FakeTransport:
    """Answers GET and walk from a dict of instance OID -> value."""

    def __init__(self, values: dict[str, SnmpValue] | None = None) -> None:
        self._values: dict[str, SnmpValue] = {}
        self._order: list[tuple[int, ...]] = []
        self._names: list[str] = []
        self._stats = TransportStats()
        self.requests: list[tuple[str, str]] = []
        """("get", oid) or ("walk", subtree) for each call, in order."""
        self.repetitions: list[int | None] = []
        """The max_repetitions asked for by each walk."""
        self.failure: EdgeAgentError | None = None
        """When set, every request raises it (and counts like the real transport would)."""
        self.closed = False
        for oid, value in (values or {}).items():
            self.set(oid, value)

    @classmethod
    def from_snmprec(cls, path: Path) -> FakeTransport:
        """A fake answering from a recorded ``.snmprec`` file."""
        return cls(parse_snmprec(path.read_text(encoding="utf-8")))

    @property
    def stats(self) -> TransportStats:
        """Counters, as the real transport keeps them."""
        return self._stats

    def set(self, oid: str, value: SnmpValue | None) -> None:
        """Add, change or (with None) remove one instance."""
        if value is None:
            if oid in self._values:
                del self._values[oid]
                pos = self._names.index(oid)
                del self._names[pos], self._order[pos]
            return
        if oid not in self._values:
            key = oid_key(oid)
            pos = bisect.bisect(self._order, key)
            self._order.insert(pos, key)
            self._names.insert(pos, oid)
        self._values[oid] = value

    def value(self, oid: str) -> SnmpValue | None:
        """The current value of an instance."""
        return self._values.get(oid)

    def _check(self) -> None:
        self._stats.requests += 1
        if self.failure is not None:
            if self.failure.reason == "timeout":
                self._stats.timeouts += 1
            else:
                self._stats.error(self.failure.reason)
            raise self.failure
        self._stats.responses += 1

    async def get(self, oids: list[str]) -> list[VarBind]:
        """Values in request order; absent instances come back as noSuchInstance."""
        self.requests += [("get", oid) for oid in oids]
        self._check()
        self._stats.varbinds += len(oids)
        return [(oid, self._values.get(oid, SnmpValue(SnmpType.NO_SUCH_INSTANCE))) for oid in oids]

    async def walk(self, subtree: str, *, max_repetitions: int | None = None) -> list[VarBind]:
        """Instances strictly beneath ``subtree``, in OID order."""
        self.requests.append(("walk", subtree))
        self.repetitions.append(max_repetitions)
        self._check()
        prefix = subtree + "."
        start = bisect.bisect_right(self._order, oid_key(subtree))
        rows: list[VarBind] = []
        for name in self._names[start:]:
            if not name.startswith(prefix):
                break
            rows.append((name, self._values[name]))
        self._stats.varbinds += len(rows)
        return rows

    async def close(self) -> None:
        """Mark closed (tests check the poller closes what it opened)."""
        self.closed = True
