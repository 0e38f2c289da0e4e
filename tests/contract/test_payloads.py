"""Every payload type round-trips; malformed payloads are rejected with a clear reason."""

from __future__ import annotations

import json
import typing

import msgspec
import pytest

from contract import payloads as p
from contract.codec import MAX_PAYLOAD_BYTES, decode, decode_as, encode, struct_for
from contract.errors import PayloadError, TopicError
from contract.examples import EXAMPLES
from contract.topics import CONTENT_ROOT, HUB_STATE_TOPIC, content_subscriptions, content_topic, parse_topic

NODE_EXAMPLES = [
    ex for ex in EXAMPLES if ex.topic != HUB_STATE_TOPIC and not ex.topic.startswith(CONTENT_ROOT)
]


def test_every_payload_type_has_an_example() -> None:
    covered = {type(ex.payload) for ex in EXAMPLES}
    expected = set(typing.get_args(p.Message))
    assert covered == expected


@pytest.mark.parametrize("example", NODE_EXAMPLES, ids=lambda ex: ex.title)
def test_examples_round_trip_through_their_topic(example) -> None:  # type: ignore[no-untyped-def]
    topic, message = decode(example.topic, encode(example.payload))
    assert message == example.payload
    assert struct_for(topic) is type(example.payload)


def test_hub_state_round_trip() -> None:
    state = p.HubState(online=False, ts=5)
    assert decode_as(encode(state), p.HubState) == state


BODIES = [
    p.Appeal(category="water", village="v1", text="水管漏了", contact="13800000000"),
    p.Rating(target_kind="work_order", target_id="BZ7K3Q", score=1, comment="没人来"),
    p.Vote(item_id="survey-1/q2", choice="yes", voter_ref="ab12"),
    p.HelpCall(village="v1", reason="看不清屏幕"),
    p.ReceiptQuery(receipt="BZ7K3Q"),
    p.Withdraw(target_id="client-000001", reason="undo"),
    p.MediaChunk(
        ref="kiosk://k1/voice/a.m4a",
        media="voice",
        mime="audio/mp4",
        size=3,
        sha256="0" * 64,
        chunk=0,
        chunks=1,
        data="AQID",
    ),
]


def test_every_request_body_type_is_tested() -> None:
    assert {type(b) for b in BODIES} == set(typing.get_args(p.RequestBody))


@pytest.mark.parametrize("body", BODIES, ids=lambda b: type(b).__name__)
def test_every_request_body_round_trips(body: p.RequestBody) -> None:
    req = p.Request(ts=1, seq=1, id="client-000001", body=body, assisted_by="staff-07")
    raw = encode(req)
    assert json.loads(raw)["body"]["type"] == type(body).__struct_config__.tag
    assert decode_as(raw, p.Request) == req


DATA_TOPIC = "cl/v1/agent/edge-1/DATA/gnb-0001"


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "needle"),
    [
        (DATA_TOPIC, b"{not json", "json", "Data"),
        (DATA_TOPIC, b"[]", "schema", "Expected `object`"),
        (DATA_TOPIC, b'{"ts":1,"seq":1,"metrics":[],"extra":1}', "schema", "unknown field `extra`"),
        (DATA_TOPIC, b'{"ts":1,"seq":256,"metrics":[]}', "schema", "$.seq"),
        (DATA_TOPIC, b'{"ts":-1,"seq":1,"metrics":[]}', "schema", "$.ts"),
        (DATA_TOPIC, b'{"ts":1,"seq":1}', "schema", "missing required field `metrics`"),
        (DATA_TOPIC, b'{"ts":1,"seq":1,"metrics":[{"name":"x","value":"12"}]}', "schema", "value"),
        (
            DATA_TOPIC,
            b'{"ts":1,"seq":1,"metrics":[{"name":"x","value":1,"labels":{"Bad-Key":"v"}}]}',
            "schema",
            "labels",
        ),
        ("cl/v1/agent/edge-1/REQ/dev", b"{}", "topic", "no device level"),
        ("cl/v1/robot/edge-1/DATA", b"{}", "topic", "unknown node kind"),
        ("cl/v1/agent/edge-1/SHOUT", b"{}", "topic", "unknown verb"),
        ("cl/v1/agent/bad+id/DATA", b"{}", "topic", "invalid node id"),
        ("other/v1/agent/x/DATA", b"{}", "topic", "not under"),
        ("cl/v1/agent/x/DATA/a/b", b"{}", "topic", "must be"),
        (
            "cl/v1/kiosk/k1/REQ",
            b'{"ts":1,"seq":1,"id":"short","body":{"type":"appeal","category":"c","village":"v"}}',
            "schema",
            "$.id",
        ),
        (
            "cl/v1/kiosk/k1/REQ",
            b'{"ts":1,"seq":1,"id":"long-enough-id","body":{"type":"bribe"}}',
            "schema",
            "body",
        ),
    ],
)
def test_malformed_payloads_are_rejected_with_a_reason(
    topic: str, payload: bytes, reason: str, needle: str
) -> None:
    with pytest.raises(PayloadError) as info:
        decode(topic, payload)
    assert info.value.reason == reason
    assert needle in str(info.value)


def test_oversized_payload_is_rejected_before_parsing() -> None:
    with pytest.raises(PayloadError) as info:
        decode(DATA_TOPIC, b" " * (MAX_PAYLOAD_BYTES + 1))
    assert info.value.reason == "too_large"


def test_counter64_values_survive_json() -> None:
    top = 2**64 - 1
    data = p.Data(ts=1, seq=1, metrics=[p.Sample(name="if_hc_in_octets", value=top)])
    decoded = decode_as(encode(data), p.Data)
    assert decoded.metrics[0].value == top
    assert isinstance(decoded.metrics[0].value, int)


def test_rating_score_bounds() -> None:
    raw = msgspec.json.encode(
        {
            "ts": 1,
            "seq": 1,
            "id": "client-000001",
            "body": {"type": "rating", "target_kind": "service", "target_id": "x", "score": 6},
        }
    )
    with pytest.raises(PayloadError, match="score"):
        decode_as(raw, p.Request)


def test_parse_topic_device_level() -> None:
    topic = parse_topic(DATA_TOPIC)
    assert (topic.kind, topic.node, topic.verb, topic.device) == ("agent", "edge-1", "DATA", "gnb-0001")
    assert str(topic) == DATA_TOPIC


def test_content_round_trip_and_topics() -> None:
    content = p.Content(ts=1, version="v1", kind="notices", body={"items": []})
    assert decode_as(encode(content), p.Content) == content
    assert content_topic("catalog") == "cl/v1/content/all/catalog"
    assert content_topic("notices", "township", "bz-t01") == "cl/v1/content/township/bz-t01/notices"
    assert content_subscriptions("bz", "bz-t01", "bz-t01-v01")[3] == "cl/v1/content/village/bz-t01-v01/+"
    with pytest.raises(TopicError):
        content_topic("notices", "village")
    with pytest.raises(TopicError):
        content_topic("notices", "province", "x")


def test_appeal_receipt_must_be_a_code() -> None:
    raw = msgspec.json.encode(
        {
            "ts": 1,
            "seq": 1,
            "id": "client-000001",
            "body": {"type": "appeal", "category": "roads", "village": "v1", "receipt": "bad code!"},
        }
    )
    with pytest.raises(PayloadError, match="receipt"):
        decode_as(raw, p.Request)


def _media_request(**body: object) -> bytes:
    """A one-chunk media REQ whose body fields ``body`` replaces."""
    media = {
        "type": "media",
        "ref": "r",
        "media": "voice",
        "mime": "audio/mp4",
        "size": 1,
        "sha256": "0" * 64,
        "chunk": 0,
        "chunks": 1,
        "data": "",
    }
    return msgspec.json.encode({"ts": 1, "seq": 1, "id": "client-000001", "body": {**media, **body}})


def test_media_chunk_bounds() -> None:
    decode_as(_media_request(), p.Request)  # the base is valid: each refusal is its one field's
    with pytest.raises(PayloadError, match="size"):
        decode_as(_media_request(size=p.MAX_MEDIA_BYTES + 1), p.Request)
    with pytest.raises(PayloadError, match="mime"):
        decode_as(_media_request(media="photo", mime="application/x-sh"), p.Request)
