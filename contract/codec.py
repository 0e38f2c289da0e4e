"""Encode and decode payloads; the only place that turns msgspec errors into ours."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from contract import payloads as p
from contract.errors import PayloadError, TopicError
from contract.topics import Topic, Verb, parse_topic

#: Larger payloads are rejected before parsing: a hostile or broken node must
#: not make the hub allocate without bound.
MAX_PAYLOAD_BYTES = 256 * 1024

T = TypeVar("T")

_NODE_TYPES: dict[tuple[Verb, bool], type[msgspec.Struct]] = {
    (Verb.BIRTH, False): p.NodeBirth,
    (Verb.BIRTH, True): p.DeviceBirth,
    (Verb.DEATH, False): p.NodeDeath,
    (Verb.DEATH, True): p.DeviceDeath,
    (Verb.DATA, False): p.Data,
    (Verb.DATA, True): p.Data,
    (Verb.ALARM, False): p.Alarm,
    (Verb.ALARM, True): p.Alarm,
    (Verb.EVENT, False): p.Event,
    (Verb.EVENT, True): p.Event,
    (Verb.REQ, False): p.Request,
    (Verb.REPLY, False): p.Reply,
    (Verb.CMD, False): p.Command,
}
_STRUCTS: tuple[type[msgspec.Struct], ...] = (*_NODE_TYPES.values(), p.HubState)
_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {t: msgspec.json.Decoder(t) for t in _STRUCTS}
_ENCODER = msgspec.json.Encoder()


def struct_for(topic: Topic) -> type[msgspec.Struct]:
    """The payload struct that belongs on ``topic``."""
    return _NODE_TYPES[(topic.verb, topic.is_device)]


def encode(message: msgspec.Struct) -> bytes:
    """Serialise a payload struct to compact JSON."""
    return _ENCODER.encode(message)


def decode_as(payload: bytes, struct: type[T]) -> T:
    """Decode ``payload`` as ``struct`` or raise :class:`PayloadError`."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError("too_large", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    decoder = _DECODERS.get(struct) or msgspec.json.Decoder(struct)
    try:
        result: T = decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise PayloadError("schema", f"{struct.__name__}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise PayloadError("json", f"{struct.__name__}: {exc}") from None
    return result


def decode(topic: str, payload: bytes) -> tuple[Topic, p.Message]:
    """Parse a node topic and decode its payload into the struct the topic calls for."""
    try:
        parsed = parse_topic(topic)
    except TopicError as exc:
        raise PayloadError("topic", str(exc)) from None
    struct = _NODE_TYPES.get((parsed.verb, parsed.is_device))
    if struct is None:
        raise PayloadError("topic", f"{parsed.verb} cannot address a device: {topic!r}")
    message: p.Message = decode_as(payload, struct)  # type: ignore[assignment]  # the table maps to Message types
    return parsed, message
