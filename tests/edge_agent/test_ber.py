"""The agent's side of the codec: dotted OIDs, SnmpValues of every SMI type, informs, strict decoding.

The BER primitives themselves are tested in tests/snmpcodec.
"""

from __future__ import annotations

import pytest

from edge_agent.snmp import ber
from edge_agent.snmp.transport import SnmpType, SnmpValue
from snmpcodec.ber import (
    INTEGER,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    SEQUENCE,
    BerError,
    encode_integer,
    encode_oid,
    oid_from_str,
    tlv,
)
from snmpcodec.pdu import GET_BULK, INFORM, RESPONSE, encode_response, peek_request_id, varbind


def _response(varbinds: bytes, request_id: int = 7, error_status: int = 0) -> bytes:
    return encode_response(
        1, b"public", request_id, error_status=error_status, error_index=0, varbinds=varbinds
    )


def _oid(oid: str) -> bytes:
    return encode_oid(oid_from_str(oid))


def _vb(oid: str, value: bytes) -> bytes:
    return varbind(_oid(oid), value)


@pytest.mark.parametrize(
    "oid",
    [
        "1.3.6.1.2.1.1.3.0",
        "1.3.6.1.4.1.64990.1.1.1.2.1.12.3",
        "2.999.4294967295",
        "0.0",
        "1.3.6.1.2.1.31.1.1.1.6.1",
    ],
)
def test_oids_round_trip(oid: str) -> None:
    encoded = _oid(oid)
    tag, start, end = ber.header(encoded, 0)
    assert tag == OBJECT_IDENTIFIER
    assert ber.decode_oid(encoded[start:end]) == oid
    assert ber.decode_oid(encoded[start:end]) == oid  # and again from the cache


def test_a_response_decodes_every_smi_type() -> None:
    values = b"".join(
        [
            _vb("1.3.6.1.2.1.1.3.0", b"\x43\x04\x0c\xd6\x1e\x7a"),  # TimeTicks
            _vb("1.3.6.1.2.1.1.5.0", tlv(OCTET_STRING, "巴州".encode())),
            _vb("1.3.6.1.2.1.1.2.0", _oid("1.3.6.1.4.1.8072.3.2.10")),
            _vb("1.3.6.1.2.1.4.20.1.1.1", b"\x40\x04\x0a\x00\x00\x01"),  # IpAddress
            _vb("1.3.6.1.2.1.2.2.1.10.1", b"\x41\x04\xff\xff\xff\xfe"),  # Counter32, no leading zero
            _vb("1.3.6.1.2.1.31.1.1.1.6.1", encode_integer(0x46, 2**64 - 1)),  # Counter64
            _vb("1.3.6.1.2.1.2.2.1.8.1", encode_integer(INTEGER, -5)),
            _vb("1.3.6.1.2.1.1.99.0", b"\x81\x00"),  # noSuchInstance
            _vb("1.3.6.1.9", b"\x82\x00"),  # endOfMibView
        ]
    )
    pdu = ber.decode_message(_response(values, request_id=1234))
    assert (pdu.request_id, pdu.error_status, pdu.community) == (1234, 0, b"public")
    got = dict(pdu.varbinds)
    assert got["1.3.6.1.2.1.1.3.0"] == SnmpValue(SnmpType.TIMETICKS, 0x0CD61E7A)
    assert got["1.3.6.1.2.1.1.5.0"] == SnmpValue(SnmpType.OCTET_STRING, "巴州".encode())
    assert got["1.3.6.1.2.1.1.2.0"] == SnmpValue(SnmpType.OID, "1.3.6.1.4.1.8072.3.2.10")
    assert got["1.3.6.1.2.1.4.20.1.1.1"] == SnmpValue(SnmpType.IPADDRESS, "10.0.0.1")
    assert got["1.3.6.1.2.1.2.2.1.10.1"] == SnmpValue(SnmpType.COUNTER32, 2**32 - 2)
    assert got["1.3.6.1.2.1.31.1.1.1.6.1"] == SnmpValue(SnmpType.COUNTER64, 2**64 - 1)
    assert got["1.3.6.1.2.1.2.2.1.8.1"] == SnmpValue(SnmpType.INTEGER, -5)
    assert not got["1.3.6.1.2.1.1.99.0"].present
    assert got["1.3.6.1.9"].type == SnmpType.END_OF_MIB_VIEW
    assert peek_request_id(_response(values, request_id=1234)) == 1234


def test_requests_carry_what_was_asked() -> None:
    data = ber.encode_request(
        1, b"public@gnb-0001", GET_BULK, 99, ["1.3.6.1.2.1.2.2.1.2"], max_repetitions=25
    )
    tag, m0, _ = ber.header(data, 0)
    assert tag == SEQUENCE
    _, _, v1 = ber.header(data, m0)
    _, c0, c1 = ber.header(data, v1)
    assert data[c0:c1] == b"public@gnb-0001"
    assert data[c1] == GET_BULK
    assert peek_request_id(data) == 99
    assert _oid("1.3.6.1.2.1.2.2.1.2") + b"\x05\x00" in data


def test_inform_is_acknowledged_with_its_own_varbinds() -> None:
    values = _vb("1.3.6.1.6.3.1.1.4.1.0", _oid("1.3.6.1.6.3.1.1.5.3"))
    values += _vb("1.3.6.1.2.1.1.3.0", b"\x43\x02\x10\x92")
    values += _vb("1.3.6.1.2.1.4.20.1.1.1", b"\x40\x04\x0a\x00\x00\x01")
    values += _vb("1.3.6.1.2.1.1.5.0", b"\x04\x02ok")
    wire = _response(values).replace(bytes([RESPONSE]), bytes([INFORM]), 1)
    inform = ber.decode_message(wire)
    assert inform.pdu_type == INFORM
    answer = ber.encode_response_to(inform)
    # Byte for byte the inform with only the PDU tag changed: every value is echoed unchanged.
    assert answer == wire.replace(bytes([INFORM]), bytes([RESPONSE]), 1)
    decoded = ber.decode_message(answer)
    assert (decoded.pdu_type, decoded.request_id, decoded.varbinds) == (RESPONSE, 7, inform.varbinds)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x05\x02\x01\x01",  # length past the end
        b"\x30\x84\x00\x00\x00\x01\x00",  # oversized length
        _response(_vb("1.3.6.1", b"\x04\x05ab")),  # value longer than its var-bind
        tlv(SEQUENCE, encode_integer(INTEGER, 1) + encode_integer(INTEGER, 5)),  # no community
        _response(_vb("1.3.6.1", b"\x05\x00"))[:-1],  # truncated
        _response(b"\x30\x04\x06\x02\x2b\x80\x05\x00"),  # non-minimal OID
    ],
)
def test_malformed_input_raises_ber_error(data: bytes) -> None:
    with pytest.raises(BerError):
        ber.decode_message(data)


@pytest.mark.parametrize(
    "value",
    [
        SnmpValue(SnmpType.INTEGER, -5),
        SnmpValue(SnmpType.COUNTER32, 2**32 - 1),
        SnmpValue(SnmpType.GAUGE32, 7),
        SnmpValue(SnmpType.TIMETICKS, 4242),
        SnmpValue(SnmpType.COUNTER64, 2**64 - 1),
        SnmpValue(SnmpType.OCTET_STRING, "巴州".encode()),
        SnmpValue(SnmpType.OPAQUE, b"\x9f\x78\x04"),
        SnmpValue(SnmpType.OID, "1.3.6.1.4.1.64990"),
        SnmpValue(SnmpType.IPADDRESS, "10.0.0.1"),
        SnmpValue(SnmpType.NULL),
        SnmpValue(SnmpType.NO_SUCH_INSTANCE),
        SnmpValue(SnmpType.END_OF_MIB_VIEW),
    ],
)
def test_values_round_trip(value: SnmpValue) -> None:
    encoded = ber.encode_value(value)
    tag, start, end = ber.header(encoded, 0)
    assert end == len(encoded)
    assert ber.decode_value(tag, encoded, start, end) == value
