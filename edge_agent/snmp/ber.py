"""SNMP v1/v2c messages as the agent sees them: var-binds of dotted OIDs and :class:`SnmpValue`.

The wire format is :mod:`snmpcodec` (shared with the simulator); this module is
the manager's side of it, written for the agent's hot path. pysnmp decodes every
varbind through pyasn1 objects, which costs 100-200 us of CPU per OID
(docs/edge_agent.md, "Measured"); plain functions over ``bytes`` do it in a few
microseconds.

Decoding is strict where a mistake would give a wrong value (lengths, OID
encoding, both checked by :mod:`snmpcodec.ber`) and lenient where agents are
known to be sloppy (Counter32 values with the sign bit set but no leading zero
are read as unsigned; unknown value types are kept as strings).
"""

from __future__ import annotations

from typing import Final, NamedTuple

from edge_agent.snmp.transport import NUMERIC, SnmpType, SnmpValue, VarBind
from snmpcodec import ber as codec
from snmpcodec.ber import (
    INTEGER,
    IP_ADDRESS,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    SEQUENCE,
    BerError,
    decode_integer,
    encode_oid,
    expect,
    oid_from_str,
    oid_to_str,
    read_header,
    tlv,
)
from snmpcodec.pdu import TRAP_V1, encode_response, varbind
from snmpcodec.pdu import encode_request as _encode_request

_UNSIGNED: Final = {
    codec.COUNTER32: SnmpType.COUNTER32,
    codec.GAUGE32: SnmpType.GAUGE32,
    codec.TIMETICKS: SnmpType.TIMETICKS,
    codec.COUNTER64: SnmpType.COUNTER64,
}
_EXCEPTIONS: Final = {
    codec.NO_SUCH_OBJECT: SnmpValue(SnmpType.NO_SUCH_OBJECT),
    codec.NO_SUCH_INSTANCE: SnmpValue(SnmpType.NO_SUCH_INSTANCE),
    codec.END_OF_MIB_VIEW: SnmpValue(SnmpType.END_OF_MIB_VIEW),
    NULL: SnmpValue(SnmpType.NULL),
}
#: Decoded OIDs by their encoding. Every device of a kind answers with the same OIDs, so
#: 3,000 gNBs share a few hundred entries; the bound only guards against a hostile agent.
_OID_CACHE: dict[bytes, str] = {}
_OID_CACHE_MAX = 200_000


def header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of body, end of body) of the TLV at ``pos``, bounded by the datagram."""
    return read_header(data, pos, len(data))


def decode_oid(body: bytes) -> str:
    """A dotted OID from an OBJECT IDENTIFIER body (cached: agents repeat the same OIDs)."""
    cached = _OID_CACHE.get(body)
    if cached is not None:
        return cached
    text = oid_to_str(codec.decode_oid(body, 0, len(body)))
    if len(_OID_CACHE) >= _OID_CACHE_MAX:
        _OID_CACHE.clear()
    _OID_CACHE[body] = text
    return text


def decode_value(tag: int, data: bytes, start: int, end: int) -> SnmpValue:
    """One SNMP value."""
    if tag == INTEGER:
        return SnmpValue(SnmpType.INTEGER, decode_integer(data, start, end))
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
    if tag == IP_ADDRESS:
        return SnmpValue(SnmpType.IPADDRESS, ".".join(map(str, data[start:end])))
    if tag == OPAQUE:
        return SnmpValue(SnmpType.OPAQUE, data[start:end])
    # An unknown type: keep the row visible rather than drop it.
    return SnmpValue(SnmpType.OCTET_STRING, data[start:end])


def decode_varbinds(data: bytes, start: int, end: int) -> list[VarBind]:
    """A VarBindList body; each name and value must lie inside its var-bind."""
    out: list[VarBind] = []
    pos = start
    while pos < end:
        tag, b0, b1 = read_header(data, pos, end)
        if tag != SEQUENCE:
            raise BerError("var-bind is not a SEQUENCE")
        tag, n0, n1 = read_header(data, b0, b1)
        if tag != OBJECT_IDENTIFIER:
            raise BerError("var-bind name is not an OID")
        vtag, v0, v1 = read_header(data, n1, b1)
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
    m0, m1 = expect(data, 0, len(data), SEQUENCE)
    v0, v1 = expect(data, m0, m1, INTEGER)
    version = decode_integer(data, v0, v1)
    c0, c1 = expect(data, v1, m1, OCTET_STRING)
    pdu_type, p0, p1 = read_header(data, c1, m1)
    if pdu_type == TRAP_V1:
        raise BerError("SNMPv1 Trap-PDU is not supported")
    r0, r1 = expect(data, p0, p1, INTEGER)
    e0, e1 = expect(data, r1, p1, INTEGER)
    i0, i1 = expect(data, e1, p1, INTEGER)
    l0, l1 = expect(data, i1, p1, SEQUENCE)
    return Pdu(
        version,
        data[c0:c1],
        pdu_type,
        decode_integer(data, r0, r1),
        decode_integer(data, e0, e1),
        decode_integer(data, i0, i1),
        decode_varbinds(data, l0, l1),
    )


def encode_request(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    oids: list[str],
    *,
    max_repetitions: int = 0,
) -> bytes:
    """A GET, GETNEXT or GETBULK message for dotted OIDs (v1 = 0, v2c = 1)."""
    arcs = [oid_from_str(oid) for oid in oids]
    return _encode_request(version, community, pdu_type, request_id, arcs, max_repetitions=max_repetitions)


def encode_response_to(pdu: Pdu) -> bytes:
    """The Response-PDU acknowledging an InformRequest (same request-id and var-binds)."""
    varbinds = b"".join(
        varbind(encode_oid(oid_from_str(oid)), encode_value(value)) for oid, value in pdu.varbinds
    )
    return encode_response(
        pdu.version, pdu.community, pdu.request_id, error_status=0, error_index=0, varbinds=varbinds
    )


def encode_value(value: SnmpValue) -> bytes:
    """One value TLV (used to echo inform var-binds and by tests to build traps)."""
    tag = int(value.type.value)  # SnmpType values are the BER tags, in decimal
    raw = value.value
    if isinstance(raw, str):
        if value.type == SnmpType.OID:
            return encode_oid(oid_from_str(raw))
        if value.type == SnmpType.IPADDRESS:
            return tlv(IP_ADDRESS, bytes(int(p) for p in raw.split(".")))
    elif (isinstance(raw, int) and value.type in NUMERIC) or (
        isinstance(raw, bytes) and value.type in (SnmpType.OCTET_STRING, SnmpType.OPAQUE)
    ):
        return codec.encode_value(tag, raw)
    # NULL and the exceptions carry no value.
    return bytes((tag, 0))
