"""SNMPv1/v2c framing: request and response round trips, routing by request-id, strict requests."""

from __future__ import annotations

import contextlib
import random

import pytest

from snmpcodec.ber import OCTET_STRING, TIMETICKS, BerError, encode_oid, encode_value
from snmpcodec.pdu import (
    GET,
    GET_BULK,
    GET_NEXT,
    RESPONSE,
    SET,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
    peek_request_id,
    varbind,
)


@pytest.mark.parametrize("pdu", [GET, GET_NEXT, GET_BULK, SET])
def test_request_round_trip(pdu: int) -> None:
    oids = [(1, 3, 6, 1, 2, 1, 1, 3, 0), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)]
    wire = encode_request(1, b"public@gnb-0001", pdu, 123456, oids, non_repeaters=1, max_repetitions=25)
    req = decode_request(wire)
    assert (req.version, req.community, req.pdu_type, req.request_id) == (1, b"public@gnb-0001", pdu, 123456)
    assert (req.non_repeaters, req.max_repetitions) == (1, 25)
    assert req.oids == oids


def test_response_round_trip() -> None:
    vbs = varbind(encode_oid((1, 3, 6, 1, 2, 1, 1, 3, 0)), encode_value(TIMETICKS, 4242))
    vbs += varbind(encode_oid((1, 3, 6, 1, 2, 1, 1, 5, 0)), encode_value(OCTET_STRING, b"x" * 200))
    wire = encode_response(1, b"public@x", -7, error_status=0, error_index=0, varbinds=vbs)
    assert wire[0] == 0x30
    request_id, status, index, decoded = decode_response(wire)
    assert (request_id, status, index) == (-7, 0, 0)
    assert decoded[0] == ((1, 3, 6, 1, 2, 1, 1, 3, 0), TIMETICKS, bytes.fromhex("1092"))
    assert decoded[1][2] == b"x" * 200
    assert RESPONSE in wire


GOOD = encode_request(1, b"public@gnb-0001", GET, 1, [(1, 3, 6, 1, 2, 1, 1, 3, 0)])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x00",
        GOOD[:-1],
        GOOD + b"\x00",
        b"\x31" + GOOD[1:],  # not a SEQUENCE
        GOOD.replace(b"\xa0", b"\xa2", 1),  # a Response is not a request
        GOOD.replace(b"\xa0", b"\xa7", 1),  # nor is a trap
        b"\x30\x80" + GOOD[2:] + b"\x00\x00",  # indefinite length
        b"\x30\x84\x00\x00\x00\x10" + GOOD[2:],  # 4-byte length
        b"\x1f\x01\x00",  # multi-byte tag
        GOOD.replace(b"\x06\x08\x2b", b"\x06\x08\x80", 1),  # non-minimal OID sub-identifier
    ],
)
def test_malformed_requests_raise_ber_error(data: bytes) -> None:
    with pytest.raises(BerError):
        decode_request(data)


def test_random_corruption_only_ever_raises_ber_error() -> None:
    rng = random.Random(1)
    wire = encode_request(
        1, b"public@gnb-0001", GET_BULK, 99, [(1, 3, 6, 1, 2, 1, 2, 2)] * 3, max_repetitions=10
    )
    for _ in range(5000):
        data = bytearray(wire)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cut = bytes(data[: rng.randint(0, len(data))]) if rng.random() < 0.3 else bytes(data)
        with contextlib.suppress(BerError):
            decode_request(cut)


def test_too_many_varbinds_is_rejected() -> None:
    wire = encode_request(1, b"c", GET, 1, [(1, 3)] * 300)
    with pytest.raises(BerError, match="too many"):
        decode_request(wire)


def test_a_response_is_routed_by_its_request_id_alone() -> None:
    junk = b"\xff" * 3  # var-binds are not looked at
    wire = encode_response(1, b"public", 2**31 - 1, error_status=0, error_index=0, varbinds=junk)
    assert peek_request_id(wire) == 2**31 - 1
    assert peek_request_id(encode_request(0, b"c", GET, -42, [(1, 3)])) == -42
    truncated = wire[:12]
    with pytest.raises(BerError):
        peek_request_id(truncated)
