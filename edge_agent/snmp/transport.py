"""The transport Protocol and the typed values it returns.

OIDs are dotted strings without a leading dot (``1.3.6.1.2.1.1.3.0``), values
are :class:`SnmpValue` (the SMI type plus a plain Python value), so fixtures can
be written by hand and compared with ``snmpget -On`` output.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol


class SnmpType(enum.StrEnum):
    """SMI types, named like net-snmp prints them; the values are snmprec type tags."""

    INTEGER = "2"
    OCTET_STRING = "4"
    NULL = "5"
    OID = "6"
    IPADDRESS = "64"
    COUNTER32 = "65"
    GAUGE32 = "66"
    TIMETICKS = "67"
    OPAQUE = "68"
    COUNTER64 = "70"
    NO_SUCH_OBJECT = "128"
    NO_SUCH_INSTANCE = "129"
    END_OF_MIB_VIEW = "130"


#: Types that carry "no value here" rather than a value.
EXCEPTIONS = frozenset(
    {SnmpType.NULL, SnmpType.NO_SUCH_OBJECT, SnmpType.NO_SUCH_INSTANCE, SnmpType.END_OF_MIB_VIEW}
)
NUMERIC = frozenset(
    {SnmpType.INTEGER, SnmpType.COUNTER32, SnmpType.GAUGE32, SnmpType.TIMETICKS, SnmpType.COUNTER64}
)


@dataclass(frozen=True, slots=True)
class SnmpValue:
    """One typed value: ``int`` for numeric types, ``bytes`` for strings, ``str`` for OIDs/addresses."""

    type: SnmpType
    value: int | bytes | str | None = None

    @property
    def present(self) -> bool:
        """False for noSuchObject, noSuchInstance, endOfMibView and NULL."""
        return self.type not in EXCEPTIONS

    def as_int(self) -> int | None:
        """The value when numeric, else None."""
        return self.value if self.type in NUMERIC and isinstance(self.value, int) else None

    def as_text(self) -> str:
        """A display string: bytes decoded as UTF-8 (replacing bad bytes), numbers as decimals."""
        if isinstance(self.value, bytes):
            return self.value.decode("utf-8", errors="replace")
        return "" if self.value is None else str(self.value)


VarBind = tuple[str, SnmpValue]


@dataclass(slots=True)
class TransportStats:
    """What one transport did: the raw material of the agent's own health metrics."""

    requests: int = 0
    """Request PDUs sent, not counting retries."""
    retries: int = 0
    """Requests sent again after no answer within the timeout."""
    responses: int = 0
    """Response PDUs received."""
    varbinds: int = 0
    timeouts: int = 0
    """Requests that got no answer after all retries."""
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, reason: str) -> None:
        """Count one error by its bounded reason token."""
        self.errors[reason] = self.errors.get(reason, 0) + 1


class SnmpTransport(Protocol):
    """The three read operations on one SNMP agent (one target: address, credentials, context).

    Walking (GETBULK sizing, GETNEXT fallback, several columns per PDU) is built on
    these in :mod:`edge_agent.snmp.walk`, once for every transport.
    """

    @property
    def stats(self) -> TransportStats:
        """Counters of this transport since it was created."""
        ...

    @property
    def supports_bulk(self) -> bool:
        """False for SNMPv1, which has no GETBULK."""
        ...

    async def get(self, oids: list[str]) -> list[VarBind]:
        """GET instances; absent ones come back with a ``present == False`` value, in order.

        Raises :class:`~edge_agent.errors.SnmpTimeout`, ``SnmpAuthError`` or ``SnmpError``.
        """
        ...

    async def get_next(self, oids: list[str]) -> list[VarBind]:
        """GETNEXT: the instance after each OID, or endOfMibView. Raises like :meth:`get`."""
        ...

    async def get_bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        """GETBULK with every OID a repeater: row-major, ``len(oids)`` var-binds per repetition.

        The agent may return fewer var-binds than asked (message size); a too-big
        answer raises ``SnmpError(reason="too_big")``. Raises like :meth:`get`.
        """
        ...

    async def close(self) -> None:
        """Release what the transport holds; it is not used afterwards."""
        ...


def oid_in(oid: str, subtree: str) -> bool:
    """Whether ``oid`` is ``subtree`` itself or lies beneath it."""
    return oid == subtree or oid.startswith(subtree + ".")


def oid_key(oid: str) -> tuple[int, ...]:
    """Sort key giving SNMP's lexicographic OID order."""
    return tuple(int(part) for part in oid.split("."))
