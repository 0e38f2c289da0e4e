"""The v2c responder without sockets: GET/GETNEXT/GETBULK semantics, size limits, drops and counts."""

from __future__ import annotations

import pytest

from contract.fleet import Fleet
from simulator.clock import SimClock
from simulator.registry import DeviceSet, select_devices
from simulator.v2c_agent import V2cResponder
from snmpcodec.ber import END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, OCTET_STRING, TIMETICKS, Oid
from snmpcodec.pdu import GET, GET_BULK, GET_NEXT, SET, decode_response, encode_request

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
IF_TABLE = (1, 3, 6, 1, 2, 1, 2, 2)


@pytest.fixture
def responder(fleet: Fleet, manual_clock: SimClock) -> V2cResponder:
    devices = DeviceSet(fleet, select_devices(fleet, first_gnbs=2), now=manual_clock.now())
    return V2cResponder(devices, manual_clock)


def ask(
    r: V2cResponder, pdu: int, oids: list[Oid], device: str = "gnb-0001", **kw: int
) -> tuple[int, int, list[tuple[Oid, int, bytes]]]:
    result = r.handle(encode_request(1, f"public@{device}".encode(), pdu, 77, oids, **kw))
    assert result is not None
    request_id, status, index, vbs = decode_response(result[0])
    assert request_id == 77
    return status, index, vbs


def test_get_exact_and_missing(responder: V2cResponder) -> None:
    status, _, vbs = ask(
        responder,
        GET,
        [SYS_UPTIME, (1, 3, 6, 1, 2, 1, 1, 5, 0), (1, 3, 6, 1, 2, 1, 1, 3, 1), (1, 3, 6, 1, 9)],
    )
    assert status == 0
    assert vbs[0][1] == TIMETICKS
    assert vbs[1] == ((1, 3, 6, 1, 2, 1, 1, 5, 0), OCTET_STRING, b"gnb-0001")
    assert vbs[2][1] == NO_SUCH_INSTANCE  # sysUpTime exists, instance .1 does not
    assert vbs[3][1] == NO_SUCH_OBJECT


def test_getnext_walks_the_layout_in_order_and_ends(responder: V2cResponder) -> None:
    layout = responder.devices.layout_of["gnb-0001"]
    seen: list[Oid] = []
    oid: Oid = (1, 3)
    while True:
        _, _, [(name, tag, _)] = ask(responder, GET_NEXT, [oid])
        if tag == END_OF_MIB_VIEW:
            assert name == oid
            break
        seen.append(name)
        oid = name
    assert seen == layout.oids
    assert seen == sorted(seen)


def test_getbulk_non_repeaters_and_repetitions(responder: V2cResponder) -> None:
    status, _, vbs = ask(
        responder,
        GET_BULK,
        [(1, 3, 6, 1, 2, 1, 1, 2, 0), IF_TABLE, (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)],
        non_repeaters=1,
        max_repetitions=3,
    )
    assert status == 0
    names = [v[0] for v in vbs]
    assert names[0] == SYS_UPTIME
    # Then 3 rows of 2 repeaters, interleaved.
    assert names[1:] == [
        (*IF_TABLE, 1, 1, 1),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 1),
        (*IF_TABLE, 1, 1, 2),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 2),
        (*IF_TABLE, 1, 1, 3),
        (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 3),
    ]


def test_getbulk_stops_after_the_end_of_the_mib(responder: V2cResponder) -> None:
    _, _, vbs = ask(responder, GET_BULK, [(1, 3, 6, 1, 4, 1, 64990, 1, 1, 1, 2, 1, 13)], max_repetitions=50)
    tags = [v[1] for v in vbs]
    assert tags[-1] == END_OF_MIB_VIEW
    assert tags.count(END_OF_MIB_VIEW) == 1
    assert len(vbs) <= 4


def test_getbulk_is_truncated_to_the_max_message_size(responder: V2cResponder) -> None:
    result = responder.handle(
        encode_request(1, b"public@gnb-0001", GET_BULK, 1, [(1, 3)], max_repetitions=1000)
    )
    assert result is not None
    wire = result[0]
    assert len(wire) <= 1472
    assert len(decode_response(wire)[3]) > 20
    assert responder.stats.truncated == 1


def test_get_too_big(fleet: Fleet, manual_clock: SimClock) -> None:
    devices = DeviceSet(fleet, select_devices(fleet, first_gnbs=1), now=manual_clock.now())
    r = V2cResponder(devices, manual_clock, max_msg_size=120)
    status, index, vbs = ask(r, GET, [(1, 3, 6, 1, 2, 1, 1, 1, 0), (1, 3, 6, 1, 2, 1, 1, 6, 0)])
    assert (status, index, vbs) == (1, 0, [])
    assert r.stats.too_big == 1


def test_set_is_refused_with_not_writable(responder: V2cResponder) -> None:
    status, index, vbs = ask(responder, SET, [(1, 3, 6, 1, 2, 1, 1, 5, 0)])
    assert (status, index) == (17, 1)
    assert vbs[0][0] == (1, 3, 6, 1, 2, 1, 1, 5, 0)


def test_unknown_community_v1_and_garbage_are_dropped_and_counted(responder: V2cResponder) -> None:
    assert responder.handle(encode_request(1, b"public@gnb-9999", GET, 1, [SYS_UPTIME])) is None
    assert responder.handle(encode_request(1, b"private@gnb-0001", GET, 1, [SYS_UPTIME])) is None
    assert responder.handle(encode_request(1, b"public", GET, 1, [SYS_UPTIME])) is None
    assert responder.handle(encode_request(0, b"public@gnb-0001", GET, 1, [SYS_UPTIME])) is None
    assert responder.handle(b"\x30\x03\x02\x01") is None
    stats = responder.stats
    assert (stats.bad_community, stats.bad_version, stats.malformed, stats.responses) == (3, 1, 1, 0)
    assert ask(responder, GET, [SYS_UPTIME])[0] == 0


def test_down_device_is_silent(responder: V2cResponder) -> None:
    responder.devices.get("gnb-0001").down = True
    assert responder.handle(encode_request(1, b"public@gnb-0001", GET, 1, [SYS_UPTIME])) is None
    assert responder.stats.not_responding == 1
    assert ask(responder, GET, [SYS_UPTIME], device="gnb-0002")[0] == 0


def test_devices_of_one_shape_share_a_layout(fleet: Fleet, manual_clock: SimClock) -> None:
    devices = DeviceSet(fleet, select_devices(fleet, first_gnbs=40), now=manual_clock.now())
    layouts = {id(devices.layout_of[d.id]) for d in devices.devices}
    # gNBs with 2 or 3 cells, OLT uplinks, UPSes: a handful of shapes for dozens of devices.
    assert len(layouts) <= 4 < len(devices)
