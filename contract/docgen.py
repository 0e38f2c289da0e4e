"""Render docs/contract.md from the contract itself: ``python -m contract.docgen > docs/contract.md``."""

from __future__ import annotations

import sys

import msgspec

from contract.codec import MAX_PAYLOAD_BYTES
from contract.examples import EXAMPLES
from contract.topics import HUB_SUBSCRIPTIONS
from contract.version import TOPIC_ROOT

_HEADER = f"""# The MQTT contract, v1

Generated from `contract/` by `python -m contract.docgen`; a test fails when this file
drifts from the code. The structs are in `contract/payloads.py`.

## Topics

`{TOPIC_ROOT}/{{kind}}/{{node}}/{{verb}}[/{{device}}]`, with `kind` one of `agent`, `kiosk`;
`node` and `device` are ids of 1-64 characters `A-Z a-z 0-9 . _ -`. The hub's own state is
`{TOPIC_ROOT}/hub/STATE`. Verbs `BIRTH DEATH DATA ALARM EVENT REQ` go from a node to the hub
(the first five may carry a device level, for devices behind an edge agent); `REPLY` and `CMD`
go from the hub to one node. Content for kiosks is retained under `{TOPIC_ROOT}/content/`
(see the Content message below).

The hub subscribes to:

{chr(10).join(f"- `{s}`" for s in HUB_SUBSCRIPTIONS)}

## Session model (after Sparkplug B, with JSON payloads)

- Every message is QoS 1. Nothing is retained except the hub STATE. Clean sessions: store and
  forward lives in each node's SQLite outbox, not in broker queues.
- A node connects with a Will on its `DEATH` topic carrying `bd_seq`, a number it advances
  (mod 256) on every CONNECT and keeps across restarts. It then subscribes to its `CMD` and
  `REPLY` topics and publishes `BIRTH` with `seq` 0 and the same `bd_seq`.
- Every other node message carries `seq`, one counter per node across all its topics, 0..255,
  wrapping. The hub counts gaps and answers one with a `rebirth` command. A repeated seq is a
  QoS 1 redelivery, not a gap.
- A `DEATH` is applied only if its `bd_seq` equals the current birth's: Wills can arrive late.
  A node's death makes all its devices stale. A device's `DEATH` makes that device stale.
- Silence means unchanged. Only a death makes values stale; there is no TTL guessing.
- Nodes wait for the retained hub STATE to say online before they publish, forget it on every
  disconnect and wait again after reconnecting. While it says offline they keep everything in
  their outbox and replay it when the hub is back, with `historical: true`. Historical data
  never overwrites live values.
- Device DATA may carry the agent's own per-device health (`edge_*` samples), declared in the
  device BIRTH like every other metric.
- Transactional messages (`REQ`) carry a client-generated `id`; the hub stores each id once and
  answers on the node's `REPLY` topic. At-least-once delivery plus idempotent ids gives
  exactly-once records.
- Times are UTC milliseconds since the epoch. Payloads are UTF-8 JSON objects, at most
  {MAX_PAYLOAD_BYTES} bytes. Unknown fields are rejected.

## Versioning

The major version is part of every topic (`{TOPIC_ROOT}`). Within v1 a change may only add
optional fields with defaults (or new values of an enumeration), and consumers are upgraded
before producers: the hub first, then agents and kiosks, because every struct rejects
unknown fields. Removing, renaming or re-typing a field, or changing its meaning, makes a
new major version under a new root (`cl/v2`); the hub subscribes to both roots until the
fleet has moved.

## Messages
"""


def render() -> str:
    """The whole document."""
    out = [_HEADER]
    for ex in EXAMPLES:
        body = msgspec.json.format(msgspec.json.encode(ex.payload), indent=2).decode()
        out.append(
            f"\n### {ex.title}\n\n"
            f"- topic: `{ex.topic}`\n- sent by: {ex.sender}\n"
            f"- QoS 1, retained: {'yes' if ex.retained else 'no'}\n"
            f"- struct: `{type(ex.payload).__name__}`\n\n{ex.meaning}\n\n```json\n{body}\n```\n"
        )
    return "".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
