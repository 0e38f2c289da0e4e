"""The v1 topic namespace: ``cl/v1/{kind}/{node}/{verb}[/{device}]`` and ``cl/v1/hub/STATE``.

Node and device ids are short ASCII tokens so that they are safe as MQTT topic
levels, Mosquitto ACL patterns (``%u``/``%c``) and Prometheus label values.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from contract.errors import TopicError
from contract.version import TOPIC_ROOT

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class NodeKind(enum.StrEnum):
    """What kind of node owns a session."""

    AGENT = "agent"
    KIOSK = "kiosk"


class Verb(enum.StrEnum):
    """Message types. The direction is fixed per verb (see ``FROM_HUB``)."""

    BIRTH = "BIRTH"
    DEATH = "DEATH"
    DATA = "DATA"
    ALARM = "ALARM"
    EVENT = "EVENT"
    REQ = "REQ"
    REPLY = "REPLY"
    CMD = "CMD"


#: Verbs the hub publishes to a node; every other verb goes from a node to the hub.
FROM_HUB = frozenset({Verb.REPLY, Verb.CMD})
#: Verbs that may carry a device level (a device behind an edge agent).
DEVICE_VERBS = frozenset({Verb.BIRTH, Verb.DEATH, Verb.DATA, Verb.ALARM, Verb.EVENT})

HUB_STATE_TOPIC = f"{TOPIC_ROOT}/hub/STATE"
CONTENT_ROOT = f"{TOPIC_ROOT}/content"
#: Content scopes from widest to narrowest; a narrower scope's item overrides a wider one's by id.
CONTENT_SCOPES = ("all", "county", "township", "village")

#: Subscriptions of the hub: everything nodes send, and its own STATE so that it
#: can re-assert ``online`` if a stale Will ever lands on it.
HUB_SUBSCRIPTIONS: tuple[str, ...] = (
    *(f"{TOPIC_ROOT}/+/+/{verb.value}/#" for verb in Verb if verb not in FROM_HUB),
    HUB_STATE_TOPIC,
)


def valid_id(value: str) -> bool:
    """Whether ``value`` may be used as a node or device id."""
    return bool(_ID.match(value))


def check_id(value: str, what: str) -> str:
    """Return ``value`` or raise :class:`TopicError` naming ``what`` was wrong."""
    if not valid_id(value):
        msg = f"invalid {what} id {value!r}: use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit"
        raise TopicError(msg)
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed node topic."""

    kind: NodeKind
    node: str
    verb: Verb
    device: str | None = None

    def __post_init__(self) -> None:
        check_id(self.node, "node")
        if self.device is not None:
            check_id(self.device, "device")
            if self.verb not in DEVICE_VERBS:
                msg = f"{self.verb} has no device level"
                raise TopicError(msg)

    def __str__(self) -> str:
        base = f"{TOPIC_ROOT}/{self.kind.value}/{self.node}/{self.verb.value}"
        return base if self.device is None else f"{base}/{self.device}"

    @property
    def is_device(self) -> bool:
        """Whether this topic addresses a device behind a node."""
        return self.device is not None


def node_topic(kind: NodeKind, node: str, verb: Verb, device: str | None = None) -> str:
    """Render a topic string, validating the ids."""
    return str(Topic(kind, node, verb, device))


def parse_topic(topic: str) -> Topic:
    """Parse a node topic; the hub STATE topic is not a node topic."""
    parts = topic.split("/")
    root = TOPIC_ROOT.split("/")
    if parts[: len(root)] != root:
        msg = f"topic {topic!r} is not under {TOPIC_ROOT}/"
        raise TopicError(msg)
    rest = parts[len(root) :]
    if len(rest) not in (3, 4):
        msg = f"topic {topic!r} must be {TOPIC_ROOT}/{{kind}}/{{node}}/{{verb}}[/{{device}}]"
        raise TopicError(msg)
    try:
        kind = NodeKind(rest[0])
    except ValueError:
        msg = f"unknown node kind {rest[0]!r} in {topic!r}"
        raise TopicError(msg) from None
    try:
        verb = Verb(rest[2])
    except ValueError:
        msg = f"unknown verb {rest[2]!r} in {topic!r}"
        raise TopicError(msg) from None
    return Topic(kind, rest[1], verb, rest[3] if len(rest) == 4 else None)


def content_topic(kind: str, scope: str = "all", code: str | None = None) -> str:
    """Retained content topic: ``cl/v1/content/all/{kind}`` or ``cl/v1/content/{scope}/{code}/{kind}``."""
    if scope not in CONTENT_SCOPES:
        msg = f"unknown content scope {scope!r}; use one of {', '.join(CONTENT_SCOPES)}"
        raise TopicError(msg)
    if scope == "all":
        if code is not None:
            msg = "scope 'all' takes no area code"
            raise TopicError(msg)
        return f"{CONTENT_ROOT}/all/{kind}"
    if code is None:
        msg = f"scope {scope!r} needs an area code"
        raise TopicError(msg)
    return f"{CONTENT_ROOT}/{scope}/{check_id(code, scope)}/{kind}"


def content_subscriptions(county: str, township: str, village: str) -> tuple[str, ...]:
    """The four content filters a kiosk in ``village`` subscribes to."""
    return (
        f"{CONTENT_ROOT}/all/+",
        f"{CONTENT_ROOT}/county/{check_id(county, 'county')}/+",
        f"{CONTENT_ROOT}/township/{check_id(township, 'township')}/+",
        f"{CONTENT_ROOT}/village/{check_id(village, 'village')}/+",
    )


def qos_for(verb: Verb) -> int:
    """QoS of every verb.

    Everything is QoS 1: edge outboxes delete a message only when the broker
    has acknowledged it (PUBACK), and transactional messages need at-least-once.
    Duplicates are harmless: a redelivered DATA repeats its seq and timestamp and
    the hub never lets an older or repeated (node, device, ts) replace a newer
    value, and requests carry client ids.
    """
    del verb
    return 1
