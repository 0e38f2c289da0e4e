"""The agent's BER codec: what it encodes net-snmp and the simulator read, and strict decoding."""

from __future__ import annotations

import pytest

from edge_agent.snmp import ber
from edge_agent.snmp.transport import SnmpType, SnmpValue


def _response(varbinds: bytes, request_id: int = 7, error_status: int = 0) -> bytes:
    pdu = ber.encode_int(request_id) + ber.encode_int(error_status) + ber.encode_int(0)
    pdu += ber.tlv(ber.SEQUENCE, varbinds)
    return ber.tlv(
        ber.SEQUENCE, ber.encode_int(1) + ber.tlv(ber.OCTET_STRING, b"public") + ber.tlv(ber.RESPONSE, pdu)
    )


def _vb(oid: str, value: bytes) -> bytes:
    return ber.tlv(ber.SEQUENCE, ber.encode_oid(oid) + value)


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
    encoded = ber.encode_oid(oid)
    tag, start, end = ber.header(encoded, 0)
    assert tag == ber.OBJECT_IDENTIFIER
    assert ber.decode_oid(encoded[start:end]) == oid


def test_a_response_decodes_every_smi_type() -> None:
    values = b"".join(
        [
            _vb("1.3.6.1.2.1.1.3.0", b"\x43\x04\x0c\xd6\x1e\x7a"),  # TimeTicks
            _vb("1.3.6.1.2.1.1.5.0", ber.tlv(ber.OCTET_STRING, "巴州".encode())),
            _vb("1.3.6.1.2.1.1.2.0", ber.encode_oid("1.3.6.1.4.1.8072.3.2.10")),
            _vb("1.3.6.1.2.1.4.20.1.1.1", b"\x40\x04\x0a\x00\x00\x01"),  # IpAddress
            _vb("1.3.6.1.2.1.2.2.1.10.1", b"\x41\x04\xff\xff\xff\xfe"),  # Counter32, no leading zero
            _vb("1.3.6.1.2.1.31.1.1.1.6.1", ber.encode_int(2**64 - 1, 0x46)),  # Counter64
            _vb("1.3.6.1.2.1.2.2.1.8.1", ber.encode_int(-5)),
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
    assert ber.peek_request_id(_response(values, request_id=1234)) == 1234


def test_requests_carry_what_was_asked() -> None:
    data = ber.encode_request(
        1, b"public@gnb-0001", ber.GET_BULK, 99, ["1.3.6.1.2.1.2.2.1.2"], max_repetitions=25
    )
    tag, m0, _ = ber.header(data, 0)
    assert tag == ber.SEQUENCE
    _, _, v1 = ber.header(data, m0)
    _, c0, c1 = ber.header(data, v1)
    assert data[c0:c1] == b"public@gnb-0001"
    assert data[c1] == ber.GET_BULK
    assert ber.peek_request_id(data) == 99


def test_inform_is_acknowledged_with_its_own_varbinds() -> None:
    values = _vb("1.3.6.1.6.3.1.1.4.1.0", ber.encode_oid("1.3.6.1.6.3.1.1.5.3"))
    inform = ber.decode_message(_response(values).replace(bytes([ber.RESPONSE]), bytes([ber.INFORM]), 1))
    assert inform.pdu_type == ber.INFORM
    answer = ber.decode_message(ber.encode_response_to(inform))
    assert (answer.pdu_type, answer.request_id, answer.varbinds) == (ber.RESPONSE, 7, inform.varbinds)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"\x30\x05\x02\x01\x01",  # length past the end
        b"\x30\x84\x00\x00\x00\x01\x00",  # oversized length
        _response(_vb("1.3.6.1", b"\x04\x05ab")),  # value longer than its var-bind
        ber.tlv(ber.SEQUENCE, ber.encode_int(1) + ber.encode_int(5)),  # no community
    ],
)
def test_malformed_input_raises_ber_error(data: bytes) -> None:
    with pytest.raises(ber.BerError):
        ber.decode_message(data)
