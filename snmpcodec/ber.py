"""The few BER (X.690) pieces SNMP needs: lengths, INTEGERs, OIDs, TLVs.

Written for hot paths (the edge agent decodes every polled var-bind, the
simulator answers thousands of requests a second): plain functions on
``bytes``, no objects per element. Decoding is strict where a mistake would
give a wrong value (lengths, OID encoding); anything out of shape raises
:class:`BerError`, which callers count and drop. Leniency about values that
real agents get wrong belongs to the caller that meets them.
"""

from __future__ import annotations

from typing import Final

Oid = tuple[int, ...]

SEQUENCE: Final = 0x30
INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OBJECT_IDENTIFIER: Final = 0x06
IP_ADDRESS: Final = 0x40
COUNTER32: Final = 0x41
GAUGE32: Final = 0x42
TIMETICKS: Final = 0x43
OPAQUE: Final = 0x44
COUNTER64: Final = 0x46
NO_SUCH_OBJECT: Final = 0x80
NO_SUCH_INSTANCE: Final = 0x81
END_OF_MIB_VIEW: Final = 0x82

# RFC 2578 caps an OID at 128 sub-identifiers of at most 2^32-1 each.
MAX_OID_LEN: Final = 128
_MAX_SUBID: Final = 0xFFFFFFFF
_U32: Final = 0xFFFFFFFF
_U64: Final = 0xFFFFFFFFFFFFFFFF


class BerError(ValueError):
    """Input is not the BER we expect; the packet is dropped and counted."""


def encode_length(n: int) -> bytes:
    """A definite length (SNMP messages stay far below 16 MiB)."""
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    return b"\x83" + n.to_bytes(3, "big")


def tlv(tag: int, body: bytes) -> bytes:
    """Tag, length, value."""
    return bytes((tag,)) + encode_length(len(body)) + body


def encode_integer(tag: int, n: int) -> bytes:
    """Two's complement, minimal length; works for signed INTEGER and for unsigned application types."""
    body = n.to_bytes(((n if n >= 0 else ~n).bit_length() // 8) + 1, "big", signed=True)
    return bytes((tag, len(body))) + body


def encode_oid_body(oid: Oid) -> bytes:
    """The contents octets of an OBJECT IDENTIFIER."""
    if len(oid) < 2:
        msg = f"an OID needs at least two arcs: {oid}"
        raise ValueError(msg)
    out = bytearray()
    for i, arc in enumerate((oid[0] * 40 + oid[1], *oid[2:])):
        if arc < 0 or (i and arc > _MAX_SUBID):
            msg = f"sub-identifier out of range in {oid}"
            raise ValueError(msg)
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = bytearray()
        rest = arc
        while rest:
            chunk.append((rest & 0x7F) | 0x80)
            rest >>= 7
        chunk[0] &= 0x7F
        chunk.reverse()
        out += chunk
    return bytes(out)


def encode_oid(oid: Oid) -> bytes:
    """An OBJECT IDENTIFIER TLV."""
    return tlv(OBJECT_IDENTIFIER, encode_oid_body(oid))


def oid_from_str(text: str) -> Oid:
    """``1.3.6.1`` or ``.1.3.6.1`` as arcs."""
    return tuple(int(p) for p in text.strip(".").split("."))


def oid_to_str(oid: Oid) -> str:
    """Dotted, without a leading dot (how ``snmpget -On`` output is compared, minus the dot)."""
    return ".".join(map(str, oid))


def wrap_integer(tag: int, value: int) -> int:
    """An integer value as the SMI type ``tag`` holds it: counters and TimeTicks wrap, Gauge32 saturates."""
    if tag in (COUNTER32, TIMETICKS):
        return value & _U32
    if tag == COUNTER64:
        return value & _U64
    if tag == GAUGE32:
        return min(max(value, 0), _U32)
    return value


_INTEGER_TAGS: Final = frozenset({INTEGER, COUNTER32, GAUGE32, TIMETICKS, COUNTER64})


def encode_value(tag: int, value: int | bytes | Oid) -> bytes:
    """One SNMP value TLV, with integers wrapped or saturated by :func:`wrap_integer`."""
    if tag in (OCTET_STRING, IP_ADDRESS, OPAQUE):
        assert isinstance(value, bytes)
        return tlv(tag, value)
    if tag == OBJECT_IDENTIFIER:
        assert isinstance(value, tuple)
        return encode_oid(value)
    if tag in _INTEGER_TAGS:
        assert isinstance(value, int)
        return encode_integer(tag, wrap_integer(tag, value))
    msg = f"cannot encode tag {tag:#x}"
    raise ValueError(msg)


def read_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read a TLV header at ``pos`` inside ``data[:end]``; return (tag, body start, body end)."""
    # The fast path: nearly every TLV of an SNMP message has a one-byte tag and a short-form
    # length. Three calls per var-bind make this the codec's hottest function; anything else,
    # including every error, goes through the fully checked reader below.
    try:
        tag = data[pos]
        n = data[pos + 1]
    except IndexError:
        raise BerError("truncated header") from None
    if n < 0x80 and tag & 0x1F != 0x1F:
        stop = pos + 2 + n
        if stop <= end:
            return tag, pos + 2, stop
    return _read_header_checked(data, pos, end)


def _read_header_checked(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    if pos + 2 > end:
        raise BerError("truncated header")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-byte tags are not used by SNMP")
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 3:
            raise BerError("indefinite or oversized length")
        if pos + k > end:
            raise BerError("truncated length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    if pos + n > end:
        raise BerError("length runs past the end")
    return tag, pos, pos + n


def expect(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Read a TLV header that must carry ``tag``; return (body start, body end)."""
    got, start, stop = read_header(data, pos, end)
    if got != tag:
        raise BerError(f"expected tag {tag:#x}, got {got:#x}")
    return start, stop


def decode_integer(data: bytes, start: int, stop: int) -> int:
    """A signed INTEGER body (at most 9 bytes: a Counter64 with its leading zero)."""
    if stop == start or stop - start > 9:
        raise BerError("bad INTEGER length")
    return int.from_bytes(data[start:stop], "big", signed=True)


def decode_oid(data: bytes, start: int, stop: int) -> Oid:
    """An OBJECT IDENTIFIER body as arcs; rejects non-minimal and out-of-range encodings."""
    if stop == start:
        raise BerError("empty OID")
    arcs: list[int] = []
    sub = 0
    for b in data[start:stop]:
        sub = (sub << 7) | (b & 0x7F)
        if not b & 0x80:
            if arcs:
                arcs.append(sub)
            elif sub < 80:
                arcs += (sub // 40, sub % 40)
            else:
                arcs += (2, sub - 80)
            sub = 0
        elif sub == 0:
            raise BerError("non-minimal OID sub-identifier")
    if data[stop - 1] & 0x80:
        raise BerError("OID ends inside a sub-identifier")
    if len(arcs) > MAX_OID_LEN or max(arcs) > _MAX_SUBID:
        raise BerError("OID out of range")
    return tuple(arcs)
