"""SNMPv1/v2c messages (RFC 3416 PDUs inside the RFC 1901 community wrapper).

The framing both sides share: PDU tags and error statuses, encoding requests
and responses, routing a response by its request-id. A command responder (the
simulator) decodes requests with :func:`decode_request`: request values are not
decoded (a read request carries NULLs) and the raw var-bind bytes are kept so a
refused SET can be echoed back unchanged. Decoding response *values* is the
manager's business (the edge agent turns them into its own typed values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from snmpcodec.ber import (
    INTEGER,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    SEQUENCE,
    BerError,
    Oid,
    decode_integer,
    decode_oid,
    encode_integer,
    encode_length,
    encode_oid,
    expect,
    read_header,
    tlv,
)

VERSION_1: Final = 0
VERSION_2C: Final = 1

GET: Final = 0xA0
GET_NEXT: Final = 0xA1
RESPONSE: Final = 0xA2
SET: Final = 0xA3
TRAP_V1: Final = 0xA4
GET_BULK: Final = 0xA5
INFORM: Final = 0xA6
TRAP_V2: Final = 0xA7
REPORT: Final = 0xA8
REQUEST_TYPES: Final = frozenset({GET, GET_NEXT, SET, GET_BULK})

# RFC 3416 error-status values used here.
NO_ERROR: Final = 0
TOO_BIG: Final = 1
GEN_ERR: Final = 5
NOT_WRITABLE: Final = 17

# Far more than any manager asks for; bounds the work one datagram can cause.
MAX_REQUEST_VARBINDS: Final = 256


@dataclass(slots=True)
class Request:
    """A decoded request. For GETBULK, ``non_repeaters``/``max_repetitions`` hold
    the fields that are error-status/error-index in other PDUs."""

    version: int
    community: bytes
    pdu_type: int
    request_id: int
    non_repeaters: int
    max_repetitions: int
    oids: list[Oid]
    raw_varbinds: bytes


def decode_request(data: bytes) -> Request:
    """Decode one datagram; raise :class:`BerError` for anything that is not a well-formed request."""
    end = len(data)
    start, stop = expect(data, 0, end, SEQUENCE)
    if stop != end:
        raise BerError("trailing bytes after message")
    v0, v1 = expect(data, start, stop, INTEGER)
    version = decode_integer(data, v0, v1)
    c0, c1 = expect(data, v1, stop, OCTET_STRING)
    community = data[c0:c1]
    pdu_type, p0, p1 = read_header(data, c1, stop)
    if p1 != stop:
        raise BerError("trailing bytes after PDU")
    if pdu_type not in REQUEST_TYPES:
        raise BerError(f"not a request PDU: {pdu_type:#x}")
    r0, r1 = expect(data, p0, p1, INTEGER)
    e0, e1 = expect(data, r1, p1, INTEGER)
    i0, i1 = expect(data, e1, p1, INTEGER)
    request_id = decode_integer(data, r0, r1)
    a = decode_integer(data, e0, e1)
    b = decode_integer(data, i0, i1)
    if not -(2**31) <= request_id < 2**31:
        raise BerError("request-id out of range")
    l0, l1 = expect(data, i1, p1, SEQUENCE)
    if l1 != p1:
        raise BerError("trailing bytes after var-binds")
    oids: list[Oid] = []
    pos = l0
    while pos < l1:
        b0, b1 = expect(data, pos, l1, SEQUENCE)
        n0, n1 = expect(data, b0, b1, OBJECT_IDENTIFIER)
        oids.append(decode_oid(data, n0, n1))
        _tag, _v0, v1_ = read_header(data, n1, b1)
        if v1_ != b1:
            raise BerError("trailing bytes in var-bind")
        if len(oids) > MAX_REQUEST_VARBINDS:
            raise BerError("too many var-binds")
        pos = b1
    return Request(version, community, pdu_type, request_id, a, b, oids, data[l0:l1])


def _wrap(tag: int, parts_len: int) -> bytes:
    return bytes((tag,)) + encode_length(parts_len)


def encode_response(
    version: int, community: bytes, request_id: int, *, error_status: int, error_index: int, varbinds: bytes
) -> bytes:
    """A Response-PDU message; ``varbinds`` is the concatenated var-bind TLVs."""
    head = (
        encode_integer(INTEGER, request_id)
        + encode_integer(INTEGER, error_status)
        + encode_integer(INTEGER, error_index)
    )
    vbl = _wrap(SEQUENCE, len(varbinds))
    pdu_len = len(head) + len(vbl) + len(varbinds)
    pre = encode_integer(INTEGER, version) + tlv(OCTET_STRING, community) + _wrap(RESPONSE, pdu_len)
    msg_len = len(pre) + pdu_len
    return b"".join((_wrap(SEQUENCE, msg_len), pre, head, vbl, varbinds))


def response_overhead(community: bytes) -> int:
    """Bytes a response needs besides its var-binds, with room for lengths growing to 3 bytes."""
    return (
        len(encode_response(VERSION_2C, community, -(2**31), error_status=0, error_index=0, varbinds=b"")) + 6
    )


def varbind(oid_tlv: bytes, value_tlv: bytes) -> bytes:
    """One VarBind TLV from its encoded name and value."""
    n = len(oid_tlv) + len(value_tlv)
    if n < 0x80:
        return bytes((SEQUENCE, n)) + oid_tlv + value_tlv
    return bytes((SEQUENCE,)) + encode_length(n) + oid_tlv + value_tlv


def encode_request(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    oids: list[Oid],
    *,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A GET, GETNEXT, GETBULK or SET message; NULL values."""
    vbs = b"".join(varbind(encode_oid(o), bytes((NULL, 0))) for o in oids)
    pdu = (
        encode_integer(INTEGER, request_id)
        + encode_integer(INTEGER, non_repeaters)
        + encode_integer(INTEGER, max_repetitions)
        + tlv(SEQUENCE, vbs)
    )
    return tlv(SEQUENCE, encode_integer(INTEGER, version) + tlv(OCTET_STRING, community) + tlv(pdu_type, pdu))


def decode_response(data: bytes) -> tuple[int, int, int, list[tuple[Oid, int, bytes]]]:
    """Decode a response into (request-id, error-status, error-index, [(oid, tag, raw value)]); for tests."""
    end = len(data)
    s0, s1 = expect(data, 0, end, SEQUENCE)
    _v0, v1 = expect(data, s0, s1, INTEGER)
    _c0, c1 = expect(data, v1, s1, OCTET_STRING)
    p0, p1 = expect(data, c1, s1, RESPONSE)
    r0, r1 = expect(data, p0, p1, INTEGER)
    e0, e1 = expect(data, r1, p1, INTEGER)
    i0, i1 = expect(data, e1, p1, INTEGER)
    l0, l1 = expect(data, i1, p1, SEQUENCE)
    out: list[tuple[Oid, int, bytes]] = []
    pos = l0
    while pos < l1:
        b0, b1 = expect(data, pos, l1, SEQUENCE)
        n0, n1 = expect(data, b0, b1, OBJECT_IDENTIFIER)
        tag, t0, t1 = read_header(data, n1, b1)
        out.append((decode_oid(data, n0, n1), tag, data[t0:t1]))
        pos = b1
    return decode_integer(data, r0, r1), decode_integer(data, e0, e1), decode_integer(data, i0, i1), out


def peek_request_id(data: bytes) -> int:
    """The request-id of a message without decoding its var-binds (to route responses)."""
    end = len(data)
    _tag, m0, m1 = read_header(data, 0, end)
    _tag, _v0, v1 = read_header(data, m0, m1)
    _tag, _c0, c1 = read_header(data, v1, m1)
    _tag, p0, p1 = read_header(data, c1, m1)
    r0, r1 = expect(data, p0, p1, INTEGER)
    return decode_integer(data, r0, r1)
