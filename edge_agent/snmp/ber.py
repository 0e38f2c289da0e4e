"""The BER (X.690) subset SNMPv1/v2c needs, written for the agent's hot path.

pysnmp decodes every varbind through pyasn1 objects, which costs 100-200 us of
CPU per OID (docs/edge_agent.md, "Measured"). SNMP's BER is tiny: definite
lengths, single-byte tags, INTEGERs, OCTET STRINGs, OIDs and a handful of
application types. Plain functions over ``bytes`` do it in a few microseconds.

Decoding is strict where a mistake would give a wrong value (lengths, OID
encoding) and lenient where agents are known to be sloppy (Counter32 values
with the sign bit set but no leading zero are read as unsigned).
"""

from __future__ import annotations

from typing import Final, NamedTuple

from edge_agent.snmp.transport import SnmpType, SnmpValue, VarBind

SEQUENCE: Final = 0x30
INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OBJECT_IDENTIFIER: Final = 0x06

GET: Final = 0xA0
GET_NEXT: Final = 0xA1
RESPONSE: Final = 0xA2
GET_BULK: Final = 0xA5
INFORM: Final = 0xA6
TRAP_V2: Final = 0xA7
TRAP_V1: Final = 0xA4

_NULL_VALUE: Final = b"\x05\x00"
_UNSIGNED = {
    0x41: SnmpType.COUNTER32,
    0x42: SnmpType.GAUGE32,
    0x43: SnmpType.TIMETICKS,
    0x46: SnmpType.COUNTER64,
}
_EXCEPTIONS = {
    0x80: SnmpValue(SnmpType.NO_SUCH_OBJECT),
    0x81: SnmpValue(SnmpType.NO_SUCH_INSTANCE),
    0x82: SnmpValue(SnmpType.END_OF_MIB_VIEW),
    NULL: SnmpValue(SnmpType.NULL),
}
#: Decoded OIDs by their encoding. Every device of a kind answers with the same OIDs, so
#: 3,000 gNBs share a few hundred entries; the bound only guards against a hostile agent.
_OID_CACHE: dict[bytes, str] = {}
_OID_CACHE_MAX = 200_000


class BerError(ValueError):
    """The bytes are not the SNMP message we expect; the packet is dropped and counted."""


def encode_length(n: int) -> bytes:
    """A definite length."""
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


def encode_int(n: int, tag: int = INTEGER) -> bytes:
    """Minimal two's complement (unsigned application types get a leading zero when needed)."""
    body = n.to_bytes(((n if n >= 0 else ~n).bit_length() // 8) + 1, "big", signed=True)
    return bytes((tag, len(body))) + body


def encode_oid(oid: str) -> bytes:
    """A dotted OID as an OBJECT IDENTIFIER TLV."""
    arcs = [int(part) for part in oid.split(".")]
    if len(arcs) < 2:
        msg = f"an OID needs two arcs at least: {oid!r}"
        raise ValueError(msg)
    out = bytearray()
    for arc in (arcs[0] * 40 + arcs[1], *arcs[2:]):
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
    return tlv(OBJECT_IDENTIFIER, bytes(out))


def encode_request(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    oids: list[str],
    *,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A GET, GETNEXT or GETBULK message (v1 = 0, v2c = 1); NULL values."""
    varbinds = b"".join(tlv(SEQUENCE, encode_oid(oid) + _NULL_VALUE) for oid in oids)
    pdu = (
        encode_int(request_id)
        + encode_int(non_repeaters)
        + encode_int(max_repetitions)
        + tlv(SEQUENCE, varbinds)
    )
    return tlv(SEQUENCE, encode_int(version) + tlv(OCTET_STRING, community) + tlv(pdu_type, pdu))


def header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of body, end of body) of the TLV at ``pos``."""
    try:
        tag = data[pos]
        n = data[pos + 1]
    except IndexError:
        raise BerError("truncated header") from None
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if not 0 < k <= 3:
            raise BerError("indefinite or oversized length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    end = pos + n
    if end > len(data):
        raise BerError("length runs past the end")
    return tag, pos, end


def _int(data: bytes, start: int, end: int) -> int:
    if end == start or end - start > 9:
        raise BerError("bad INTEGER length")
    return int.from_bytes(data[start:end], "big", signed=True)


def decode_oid(body: bytes) -> str:
    """A dotted OID from an OBJECT IDENTIFIER body (cached: agents repeat the same OIDs)."""
    cached = _OID_CACHE.get(body)
    if cached is not None:
        return cached
    if not body or body[-1] & 0x80:
        raise BerError("bad OID encoding")
    arcs: list[int] = []
    sub = 0
    for b in body:
        sub = (sub << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(sub)
            sub = 0
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    text = ".".join(map(str, (*head, *arcs[1:])))
    if len(_OID_CACHE) >= _OID_CACHE_MAX:
        _OID_CACHE.clear()
    _OID_CACHE[body] = text
    return text


def decode_value(tag: int, data: bytes, start: int, end: int) -> SnmpValue:
    """One SNMP value."""
    if tag == INTEGER:
        return SnmpValue(SnmpType.INTEGER, _int(data, start, end))
    if tag == OCTET_STRING:
        return SnmpValue(SnmpType.OCTET_STRING, data[start:end])
    kind = _UNSIGNED.get(tag)
    if kind is not None:
        if end - start > 9 or end == start:
            raise BerError("bad unsigned length")
        # Unsigned, whatever the sign bit says: some agents omit the leading zero byte.
        return SnmpValue(kind, int.from_bytes(data[start:end], "big"))
    exception = _EXCEPTIONS.get(tag)
    if exception is not None:
        return exception
    if tag == OBJECT_IDENTIFIER:
        return SnmpValue(SnmpType.OID, decode_oid(data[start:end]))
    if tag == 0x40:  # IpAddress
        return SnmpValue(SnmpType.IPADDRESS, ".".join(map(str, data[start:end])))
    if tag == 0x44:  # Opaque
        return SnmpValue(SnmpType.OPAQUE, data[start:end])
    # An unknown type: keep the row visible rather than drop it.
    return SnmpValue(SnmpType.OCTET_STRING, data[start:end])


def decode_varbinds(data: bytes, start: int, end: int) -> list[VarBind]:
    """A VarBindList body."""
    out: list[VarBind] = []
    pos = start
    while pos < end:
        tag, b0, b1 = header(data, pos)
        if tag != SEQUENCE:
            raise BerError("var-bind is not a SEQUENCE")
        tag, n0, n1 = header(data, b0)
        if tag != OBJECT_IDENTIFIER:
            raise BerError("var-bind name is not an OID")
        vtag, v0, v1 = header(data, n1)
        out.append((decode_oid(data[n0:n1]), decode_value(vtag, data, v0, v1)))
        pos = b1
    return out


class Pdu(NamedTuple):
    """A decoded SNMPv1/v2c message (responses, v2 traps and informs)."""

    version: int
    community: bytes
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[VarBind]


def decode_message(data: bytes) -> Pdu:
    """Decode a v1/v2c message whose PDU has the request-id/error-status/error-index shape."""
    tag, m0, _m1 = header(data, 0)
    if tag != SEQUENCE:
        raise BerError("message is not a SEQUENCE")
    tag, v0, v1 = header(data, m0)
    if tag != INTEGER:
        raise BerError("no version")
    version = _int(data, v0, v1)
    tag, c0, c1 = header(data, v1)
    if tag != OCTET_STRING:
        raise BerError("no community")
    pdu_type, p0, _p1 = header(data, c1)
    if pdu_type == TRAP_V1:
        raise BerError("SNMPv1 Trap-PDU is not supported")
    fields = []
    pos = p0
    for _ in range(3):
        tag, f0, f1 = header(data, pos)
        if tag != INTEGER:
            raise BerError("bad PDU header")
        fields.append(_int(data, f0, f1))
        pos = f1
    tag, l0, l1 = header(data, pos)
    if tag != SEQUENCE:
        raise BerError("no var-bind list")
    varbinds = decode_varbinds(data, l0, l1)
    return Pdu(version, data[c0:c1], pdu_type, fields[0], fields[1], fields[2], varbinds)


def peek_request_id(data: bytes) -> int:
    """The request-id of a message without decoding its var-binds (to route responses)."""
    _tag, m0, _m1 = header(data, 0)
    _tag, _v0, v1 = header(data, m0)
    _tag, _c0, c1 = header(data, v1)
    _tag, p0, _p1 = header(data, c1)
    tag, r0, r1 = header(data, p0)
    if tag != INTEGER:
        raise BerError("no request-id")
    return _int(data, r0, r1)


def encode_response_to(pdu: Pdu) -> bytes:
    """The Response-PDU acknowledging an InformRequest (same request-id and var-binds)."""
    varbinds = b"".join(tlv(SEQUENCE, encode_oid(oid) + encode_value(value)) for oid, value in pdu.varbinds)
    body = encode_int(pdu.request_id) + encode_int(0) + encode_int(0) + tlv(SEQUENCE, varbinds)
    return tlv(SEQUENCE, encode_int(pdu.version) + tlv(OCTET_STRING, pdu.community) + tlv(RESPONSE, body))


_TAG_OF = {
    SnmpType.INTEGER: INTEGER,
    SnmpType.COUNTER32: 0x41,
    SnmpType.GAUGE32: 0x42,
    SnmpType.TIMETICKS: 0x43,
    SnmpType.COUNTER64: 0x46,
}


def encode_value(value: SnmpValue) -> bytes:
    """One value TLV (used to echo inform var-binds and by tests to build traps)."""
    if value.type in _TAG_OF and isinstance(value.value, int):
        return encode_int(value.value, _TAG_OF[value.type])
    if value.type in (SnmpType.OCTET_STRING, SnmpType.OPAQUE) and isinstance(value.value, bytes):
        return tlv(OCTET_STRING if value.type == SnmpType.OCTET_STRING else 0x44, value.value)
    if value.type == SnmpType.OID and isinstance(value.value, str):
        return encode_oid(value.value)
    if value.type == SnmpType.IPADDRESS and isinstance(value.value, str):
        return tlv(0x40, bytes(int(p) for p in value.value.split(".")))
    return bytes((int(value.type.value), 0)) if value.type != SnmpType.NULL else _NULL_VALUE
