"""Encode and decode payloads; the only place that turns msgspec errors into ours."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar, get_args

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


def _loose(struct: type[msgspec.Struct], **types: Any) -> type[msgspec.Struct]:
    """A copy of ``struct`` (same fields, defaults, constraints) with some field types swapped."""
    fields: list[Any] = []
    for f in msgspec.structs.fields(struct):
        kind = types.get(f.name, f.type)
        if f.default is not msgspec.NODEFAULT:
            fields.append((f.name, kind, f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, kind, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, kind))
    config = struct.__struct_config__
    return msgspec.defstruct(
        f"_Loose{struct.__name__}", fields, kw_only=True, forbid_unknown_fields=config.forbid_unknown_fields
    )


# DATA is nearly all traffic, and msgspec checks a ``pattern`` by calling Python's re per
# string: the label-key pattern cost two thirds of decoding a DATA (1.8 of 2.7 us for five
# samples). So DATA is decoded without that one pattern, the keys are checked against the
# few already seen valid, and the result is rebuilt as the real structs. Anything the loose
# decode or the key check refuses is decoded again strictly, so errors stay msgspec's own.
_LABEL_KEY, _LABEL = get_args(p.Labels)
_LABEL_KEY_OK = re.compile(get_args(_LABEL_KEY)[1].pattern).search  # search, as msgspec does
_LOOSE_SAMPLE = _loose(p.Sample, labels=dict[str, _LABEL])  # type: ignore[valid-type]
_LOOSE_DATA = msgspec.json.Decoder(_loose(p.Data, metrics=list[_LOOSE_SAMPLE]))  # type: ignore[valid-type]
_VALID_KEYS: set[str] = set()
#: Distinct label keys remembered as valid before the set starts over (a fleet has dozens).
_VALID_KEYS_LIMIT = 10_000


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
    if struct is p.Data:
        fast = _decode_data(payload)
        if fast is not None:
            return fast  # type: ignore[return-value]  # struct is Data
    return _strict(payload, struct)


def _strict(payload: bytes, struct: type[T]) -> T:
    decoder = _DECODERS.get(struct) or msgspec.json.Decoder(struct)
    try:
        result: T = decoder.decode(payload)
    except msgspec.ValidationError as exc:
        raise PayloadError("schema", f"{struct.__name__}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise PayloadError("json", f"{struct.__name__}: {exc}") from None
    return result


def decoder_for(struct: type[T]) -> Callable[[bytes], T]:
    """``decode_as`` with ``struct`` bound: for callers that decode many payloads of one type."""
    if struct is p.Data:
        return _data_or_raise  # type: ignore[return-value]  # struct is Data
    return partial(decode_as, struct=struct)


def _data_or_raise(payload: bytes) -> p.Data:
    if len(payload) > MAX_PAYLOAD_BYTES:
        return decode_as(payload, p.Data)  # says too_large
    fast = _decode_data(payload)
    # Refused by the loose decode or the key check: the strict decoder says what is wrong.
    return fast if fast is not None else _strict(payload, p.Data)


def _decode_data(payload: bytes) -> p.Data | None:
    """DATA as the strict decoder would return it, or None to let the strict decoder say what is wrong."""
    try:
        loose: Any = _LOOSE_DATA.decode(payload)
    except msgspec.MsgspecError:
        return None
    valid, sample = _VALID_KEYS, p.Sample
    samples = []
    for s in loose.metrics:
        labels = s.labels
        for key in labels:
            if key not in valid:
                if _LABEL_KEY_OK(key) is None:
                    return None
                if len(valid) >= _VALID_KEYS_LIMIT:
                    valid.clear()
                valid.add(key)
        samples.append(sample(name=s.name, value=s.value, labels=labels))
    return p.Data(ts=loose.ts, seq=loose.seq, historical=loose.historical, metrics=samples)


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
