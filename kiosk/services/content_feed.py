"""PROVISIONAL, outside contract v1: content pushed by the hub on retained topics.

Contract v1 has no content topics yet (see docs/kiosk.md, "Proposed contract
changes"). Until it does, the whole proposal lives here and nowhere else: the
topic ``cl/v1/content/{kind}`` (retained, QoS 1, published by the hub) carrying
``{"version": "2026.2", "body": {...}}``. The MQTT adapter subscribes to
``TOPIC_FILTER`` and hands payloads to ``parse``; nothing else knows the shape.
"""

from __future__ import annotations

from typing import Any

import msgspec

from contract.version import TOPIC_ROOT
from kiosk.services.content import KINDS

TOPIC_PREFIX = f"{TOPIC_ROOT}/content/"
TOPIC_FILTER = f"{TOPIC_PREFIX}+"


class ContentBundle(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One pushed content document."""

    version: str
    body: dict[str, Any]


_DECODER = msgspec.json.Decoder(ContentBundle)


def parse(topic: str, payload: bytes) -> tuple[str, ContentBundle] | None:
    """The kind and bundle on ``topic``, or None when it is not a valid content message."""
    if not topic.startswith(TOPIC_PREFIX):
        return None
    kind = topic[len(TOPIC_PREFIX) :]
    if kind not in KINDS or len(payload) > 1024 * 1024:
        return None
    try:
        return kind, _DECODER.decode(payload)
    except msgspec.DecodeError:
        return None
