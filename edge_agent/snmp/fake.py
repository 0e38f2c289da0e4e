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

from edge_agent.errors import EdgeAgentError, SnmpAgentError
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
    """Answers GET, GETNEXT and GETBULK from a dict of instance OID -> value."""

    def __init__(self, values: dict[str, SnmpValue] | None = None) -> None:
        self._values: dict[str, SnmpValue] = {}
        self._order: list[tuple[int, ...]] = []
        self._names: list[str] = []
        self._stats = TransportStats()
        self.requests: list[tuple[str, str]] = []
        """("get" | "next" | "bulk", oid) for each requested OID, in order."""
        self.repetitions: list[int] = []
        """The max-repetitions of each GETBULK."""
        self.failure: EdgeAgentError | None = None
        """When set, every request raises it (and counts like the real transport would)."""
        self.bulk_failure: EdgeAgentError | None = None
        """When set, only GETBULK raises it (an agent that mishandles GETBULK)."""
        self.too_big_above: int | None = None
        """GETBULK asking for more var-binds than this answers tooBig."""
        self.max_response: int | None = None
        """GETBULK answers are cut to this many var-binds (an agent's message size)."""
        self.supports_bulk = True
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

    def walked(self) -> list[str]:
        """The OIDs asked for with GETNEXT or GETBULK, in order."""
        return [oid for kind, oid in self.requests if kind in ("next", "bulk")]

    def _check(self, failure: EdgeAgentError | None = None) -> None:
        self._stats.requests += 1
        failure = failure or self.failure
        if failure is not None:
            if failure.reason == "timeout":
                self._stats.timeouts += 1
            else:
                self._stats.error(failure.reason)
            raise failure
        self._stats.responses += 1

    def _next(self, oid: str) -> VarBind:
        pos = bisect.bisect_right(self._order, oid_key(oid))
        if pos >= len(self._names):
            return (oid, SnmpValue(SnmpType.END_OF_MIB_VIEW))
        name = self._names[pos]
        return (name, self._values[name])

    async def get(self, oids: list[str]) -> list[VarBind]:
        """Values in request order; absent instances come back as noSuchInstance."""
        self.requests += [("get", oid) for oid in oids]
        self._check()
        self._stats.varbinds += len(oids)
        return [(oid, self._values.get(oid, SnmpValue(SnmpType.NO_SUCH_INSTANCE))) for oid in oids]

    async def get_next(self, oids: list[str]) -> list[VarBind]:
        """The instance after each OID."""
        self.requests += [("next", oid) for oid in oids]
        self._check()
        self._stats.varbinds += len(oids)
        return [self._next(oid) for oid in oids]

    async def get_bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        """Row-major repetitions of GETNEXT, as RFC 3416 4.2.3 says."""
        self.requests += [("bulk", oid) for oid in oids]
        self.repetitions.append(max_repetitions)
        if self.too_big_above is not None and len(oids) * max_repetitions > self.too_big_above:
            self._check(SnmpAgentError("tooBig", reason="too_big"))
        self._check(self.bulk_failure)
        out: list[VarBind] = []
        cursors = list(oids)
        for _ in range(max_repetitions):
            row = [self._next(oid) for oid in cursors]
            out += row
            cursors = [oid for oid, _ in row]
            if all(v.type == SnmpType.END_OF_MIB_VIEW for _, v in row):
                break
        if self.max_response is not None:
            out = out[: self.max_response]
        self._stats.varbinds += len(out)
        return out

    async def close(self) -> None:
        """Mark closed (tests check the poller closes what it opened)."""
        self.closed = True
