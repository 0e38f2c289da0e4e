"""The BER and SNMPv2c codec: round trips, SMI wrapping, and strict rejection of malformed input."""

from __future__ import annotations

import contextlib
import random

import pytest

from simulator.ber import (
    COUNTER32,
    COUNTER64,
    GAUGE32,
    INTEGER,
    OCTET_STRING,
    TIMETICKS,
    BerError,
    decode_integer,
    decode_oid,
    encode_integer,
    encode_length,
    encode_oid,
    encode_value,
    oid_from_str,
    read_header,
)
from simulator.snmp_codec import (
    GET,
    GET_BULK,
    GET_NEXT,
    RESPONSE,
    SET,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
    varbind,
)


@pytest.mark.parametrize(
    "n", [0, 1, 127, 128, 255, 256, -1, -128, -129, 2**31 - 1, -(2**31), 2**32 - 1, 2**63, 2**64 - 1]
)
def test_integer_round_trip(n: int) -> None:
    tlv = encode_integer(INTEGER, n)
    tag, start, stop = read_header(tlv, 0, len(tlv))
    assert tag == INTEGER
    assert stop == len(tlv)
    # Minimal encoding: no redundant leading 0x00/0xFF.
    body = tlv[start:stop]
    redundant_zero = len(body) > 1 and body[0] == 0 and body[1] < 0x80
    redundant_ones = len(body) > 1 and body[0] == 0xFF and body[1] >= 0x80
    assert not redundant_zero
    assert not redundant_ones
    if len(body) <= 9:
        assert decode_integer(tlv, start, stop) == n


def test_known_integer_encodings() -> None:
    assert encode_integer(INTEGER, 0) == bytes.fromhex("020100")
    assert encode_integer(INTEGER, 128) == bytes.fromhex("02020080")
    assert encode_integer(INTEGER, -129) == bytes.fromhex("0202ff7f")
    assert encode_integer(COUNTER32, 2**32 - 1) == bytes.fromhex("410500ffffffff")


def test_smi_types_wrap_or_saturate() -> None:
    assert encode_value(COUNTER32, 2**32 + 5) == encode_integer(COUNTER32, 5)
    assert encode_value(TIMETICKS, 2**32) == encode_integer(TIMETICKS, 0)
    assert encode_value(COUNTER64, 2**64 + 7) == encode_integer(COUNTER64, 7)
    assert encode_value(GAUGE32, 2**40) == encode_integer(GAUGE32, 2**32 - 1)
    assert encode_value(GAUGE32, -3) == encode_integer(GAUGE32, 0)
    assert encode_value(OCTET_STRING, "巴州".encode()) == b"\x04\x06" + "巴州".encode()


@pytest.mark.parametrize(
    "oid",
    [
        "1.3.6.1.2.1.1.3.0",
        "1.3.6.1.4.1.64990.1.1.1.2.1.10.3",
        "0.0",
        "2.999.3",
        "1.3.6.1.2.1.31.1.1.1.6.4294967295",
        "1.3." + ".".join(str(i * 1000) for i in range(100)),
    ],
)
def test_oid_round_trip(oid: str) -> None:
    tlv = encode_oid(oid_from_str(oid))
    tag, start, stop = read_header(tlv, 0, len(tlv))
    assert tag == 0x06
    assert decode_oid(tlv, start, stop) == oid_from_str(oid)


def test_known_oid_encoding() -> None:
    assert encode_oid((1, 3, 6, 1, 2, 1, 1, 3, 0)) == bytes.fromhex("06082b06010201010300")
    assert encode_oid((1, 3, 6, 1, 4, 1, 64990)) == bytes.fromhex("06082b0601040183fb5e")


def test_long_lengths() -> None:
    assert encode_length(127) == b"\x7f"
    assert encode_length(128) == b"\x81\x80"
    assert encode_length(300) == b"\x82\x01\x2c"
    data = b"\x04\x82\x01\x2c" + bytes(300)
    assert read_header(data, 0, len(data)) == (4, 4, 304)


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
