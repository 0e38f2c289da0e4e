"""DATA's fast decode (contract.codec) must give exactly what the strict decoder gives."""

from __future__ import annotations

import msgspec
import pytest

from contract import payloads as p
from contract.codec import decode_as, decoder_for
from contract.errors import PayloadError

STRICT = msgspec.json.Decoder(p.Data)
GOOD = [
    b'{"ts":1,"seq":2,"metrics":[{"name":"x","value":1,"labels":{"ifname":"a"}},{"name":"y","value":2.5}]}',
    b'{"ts":1,"seq":2,"historical":true,"metrics":[{"name":"x","value":1,"labels":{}}]}',
    b'{"ts":1,"seq":2,"metrics":[]}',
]
# Each after a valid message that taught the decoder the key "ifname".
BAD = [
    b'{"ts":1,"seq":2,"metrics":[{"name":"x","value":1,"labels":{"ifname":"a","If-Name":"b"}}]}',
    b'{"ts":1,"seq":2,"metrics":[{"name":"x","value":1,"labels":{"ifname":"' + b"v" * 129 + b'"}}]}',
    b'{"ts":1,"seq":2,"metrics":[{"name":"x","value":1,"labels":{"ifname":"a"},"unit":"s"}]}',
    b'{"ts":1,"seq":2,"metrics":[{"name":"x","value":true}]}',
]


@pytest.mark.parametrize("payload", GOOD)
def test_valid_data_decodes_to_the_real_structs(payload: bytes) -> None:
    for decode in (decoder_for(p.Data), lambda b: decode_as(b, p.Data)):
        data = decode(payload)
        assert type(data) is p.Data
        assert all(type(s) is p.Sample for s in data.metrics)
        assert data == STRICT.decode(payload)


@pytest.mark.parametrize("payload", BAD)
def test_invalid_data_fails_with_the_strict_decoders_error(payload: bytes) -> None:
    decoder_for(p.Data)(GOOD[0])
    with pytest.raises(msgspec.ValidationError) as strict:
        STRICT.decode(payload)
    with pytest.raises(PayloadError) as ours:
        decoder_for(p.Data)(payload)
    assert (ours.value.reason, ours.value.detail) == ("schema", f"Data: {strict.value}")
