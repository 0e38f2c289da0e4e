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
    """PDUs sent (each retry counts again only when the library reports it; pysnmp does not)."""
    responses: int = 0
    """Response PDUs received."""
    varbinds: int = 0
    timeouts: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, reason: str) -> None:
        """Count one error by its bounded reason token."""
        self.errors[reason] = self.errors.get(reason, 0) + 1


class SnmpTransport(Protocol):
    """Read access to one SNMP agent (one target: address, credentials, context)."""

    @property
    def stats(self) -> TransportStats:
        """Counters of this transport since it was created."""
        ...

    async def get(self, oids: list[str]) -> list[VarBind]:
        """GET instances; absent ones come back with a ``present == False`` value, in order.

        Raises :class:`~edge_agent.errors.SnmpTimeout`, ``SnmpAuthError`` or ``SnmpError``.
        """
        ...

    async def walk(self, subtree: str, *, max_repetitions: int | None = None) -> list[VarBind]:
        """Every instance under ``subtree`` (not including it), in OID order.

        ``max_repetitions`` overrides the configured GETBULK size for this walk (the
        caller knows how many rows the subtree had last time). An empty list means
        the agent has nothing there. Raises like :meth:`get`.
        """
        ...

    async def close(self) -> None:
        """Release sockets; the transport is not used afterwards."""
        ...


def oid_in(oid: str, subtree: str) -> bool:
    """Whether ``oid`` is ``subtree`` itself or lies beneath it."""
    return oid == subtree or oid.startswith(subtree + ".")


def oid_key(oid: str) -> tuple[int, ...]:
    """Sort key giving SNMP's lexicographic OID order."""
    return tuple(int(part) for part in oid.split("."))
