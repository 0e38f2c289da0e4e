"""BER primitives: minimal integers, SMI wrapping, OIDs and lengths, strict header reading."""

from __future__ import annotations

import pytest

from snmpcodec.ber import (
    COUNTER32,
    COUNTER64,
    GAUGE32,
    INTEGER,
    NULL,
    OBJECT_IDENTIFIER,
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
    oid_to_str,
    read_header,
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


def test_oid_text_round_trip_drops_a_leading_dot() -> None:
    assert oid_from_str(".1.3.6.1.2.1.1.3.0") == (1, 3, 6, 1, 2, 1, 1, 3, 0)
    assert oid_to_str(oid_from_str("2.999.4294967295")) == "2.999.4294967295"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"\x2b\x80\x01", "non-minimal"),  # a sub-identifier padded with a 0x80 byte
        (b"\x2b\x06\x81", "ends inside"),
        (b"\x2b\x90\x80\x80\x80\x00", "out of range"),  # 2^32, one past the largest sub-identifier
        (b"\x2b" + b"\x01" * 127, "out of range"),  # 129 arcs
    ],
)
def test_bad_oids_are_rejected(body: bytes, reason: str) -> None:
    with pytest.raises(BerError, match=reason):
        decode_oid(body, 0, len(body))


@pytest.mark.parametrize("oid", [(1,), (1, 3, -1), (1, 3, 2**32)])
def test_unencodable_oids_are_refused(oid: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"arcs|out of range"):
        encode_oid(oid)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x04", "truncated header"),
        (b"\x1f\x01\x00", "multi-byte"),
        (b"\x04\x80\x00\x00", "indefinite"),
        (b"\x04\x84\x00\x00\x00\x01\x00", "oversized"),
        (b"\x04\x82\x01", "truncated length"),
        (b"\x04\x03ab", "past the end"),
    ],
)
def test_bad_headers_are_rejected(data: bytes, reason: str) -> None:
    with pytest.raises(BerError, match=reason):
        read_header(data, 0, len(data))


def test_a_header_is_bounded_by_its_container_not_the_buffer() -> None:
    data = b"\x30\x03\x04\x03ab" + b"c"  # the inner string claims one byte past its SEQUENCE
    _tag, start, stop = read_header(data, 0, len(data))
    read_header(data, start, len(data))  # fine against the whole buffer
    with pytest.raises(BerError):
        read_header(data, start, stop)


@pytest.mark.parametrize("body", [b"", bytes(10)])
def test_integers_of_bad_length_are_rejected(body: bytes) -> None:
    with pytest.raises(BerError, match="INTEGER length"):
        decode_integer(body, 0, len(body))


def test_value_types_without_a_body_cannot_be_encoded() -> None:
    assert encode_value(INTEGER, -5) == bytes.fromhex("0201fb")
    assert encode_value(OBJECT_IDENTIFIER, (1, 3, 6)) == bytes.fromhex("06022b06")
    with pytest.raises(ValueError, match="cannot encode"):
        encode_value(NULL, 0)
