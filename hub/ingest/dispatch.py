"""Decode each received message and route it: to the fleet state, or to the hub's own STATE rule.

This is where malformed input stops. contract.codec turns every bad payload into a
PayloadError with a short ``reason``; the message is counted by that reason and logged
(at most once per reason per interval, so a flood cannot fill the disk) and ingest
carries on with the next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from contract import codec
from contract.errors import PayloadError
from contract.payloads import HubState
from contract.topics import HUB_STATE_TOPIC, Topic, Verb
from contract.version import TOPIC_ROOT
from hub.ingest.commands import Commands
from hub.ingest.handoff import Raw
from hub.ingest.sinks import MessageSink
from hub.ratelimit import RateLimiter
from hub.state import OK, FleetState
from hub.stats import Stats

log = logging.getLogger(__name__)

_VERB_LEVEL = len(TOPIC_ROOT.split("/")) + 2  # cl/v1/{kind}/{node}/{verb}: index 4
_VERBS = frozenset(v.value for v in Verb)
#: Longest piece of a hostile topic or error text that makes it into a log line.
_LOG_CLIP = 200
#: Parsed topics kept; a fleet has a few per device, a flood of made-up ones just starts it over.
_TOPIC_CACHE = 50_000


class _Known(NamedTuple):
    """A valid topic seen before, with what handling its messages needs."""

    topic: Topic
    decode: Callable[[bytes], Any]
    """The payload decoder of the topic's struct (no union, no table look-up)."""
    verb: str
    sinks: list[MessageSink]
    """The verb's live list of sinks (add_sink appends to this same list)."""


def verb_label(topic: str) -> str:
    """The ``verb`` label for a topic that may not parse: a known verb or ``unknown``."""
    parts = topic.split("/", _VERB_LEVEL + 1)
    if len(parts) > _VERB_LEVEL and parts[_VERB_LEVEL] in _VERBS:
        return parts[_VERB_LEVEL]
    return "unknown"


class Dispatcher:
    """Handles one raw message at a time on the event loop."""

    def __init__(
        self,
        state: FleetState,
        stats: Stats,
        commands: Commands,
        *,
        on_offline_state: Callable[[HubState, bool], None] | None = None,
        log_interval: float = 10.0,
    ) -> None:
        self._state = state
        self._stats = stats
        self._commands = commands
        self.on_offline_state = on_offline_state
        """Called with the hub's own STATE seen offline, and whether it came as a retained copy."""
        self._log_limit = RateLimiter(interval=log_interval)
        self._sinks: dict[Verb, list[MessageSink]] = {}
        self._topics: dict[str, _Known] = {}
        """Valid topics seen: parsing one costs as much as decoding."""

    def add_sink(self, verb: Verb, sink: MessageSink) -> None:
        """Also hand every accepted message of ``verb`` to ``sink``."""
        self._sinks.setdefault(verb, []).append(sink)

    def handle(self, raw: Raw) -> None:
        """Decode, apply, count. Never raises: one bad message must not stop ingest."""
        self._stats.last_message = raw.received
        try:
            if raw.topic == HUB_STATE_TOPIC:
                self._hub_state(raw)
            else:
                self._node_message(raw)
        except Exception:  # a bug must cost one message, not the ingest loop
            self._stats.reject(verb_label(raw.topic), "internal")
            if self._log_limit.allow("internal", raw.received):
                log.exception("internal error handling a message on %r", raw.topic[:_LOG_CLIP])

    def _node_message(self, raw: Raw) -> None:
        known = self._topics.get(raw.topic)
        try:
            if known is None:
                topic, message = codec.decode(raw.topic, raw.payload)
                known = self._learn(raw.topic, topic)
            else:
                topic = known.topic
                message = known.decode(raw.payload)
        except PayloadError as exc:
            self._reject(verb_label(raw.topic), exc.reason, raw, exc.detail)
            return
        outcome = self._state.apply(topic, message, raw.received)
        if outcome is OK:  # nearly every message: nothing to reject, no rebirth
            self._stats.count(known.verb, "ok")
            for sink in known.sinks:
                sink.accept(topic, message, raw.received)
            return
        if outcome.status == "rejected":
            self._reject(known.verb, outcome.reason or "unknown", raw, "")
        else:
            self._stats.count(known.verb, outcome.status)
            if outcome.status != "late":  # a late DATA was not applied; sinks must not act on it either
                for sink in known.sinks:
                    sink.accept(topic, message, raw.received)
        if outcome.rebirth:
            self._commands.rebirth(topic.kind, topic.node, raw.received)

    def _learn(self, name: str, topic: Topic) -> _Known:
        if len(self._topics) >= _TOPIC_CACHE:
            self._topics.clear()
        known = self._topics[name] = _Known(
            topic,
            codec.decoder_for(codec.struct_for(topic)),
            topic.verb.value,
            self._sinks.setdefault(topic.verb, []),
        )
        return known

    def _hub_state(self, raw: Raw) -> None:
        try:
            state = codec.decode_as(raw.payload, HubState)
        except PayloadError as exc:
            self._reject("STATE", exc.reason, raw, exc.detail)
            return
        self._stats.count("STATE", "ok")
        if not state.online and self.on_offline_state is not None:
            self.on_offline_state(state, raw.retained)

    def _reject(self, verb: str, reason: str, raw: Raw, detail: str) -> None:
        self._stats.reject(verb, reason)
        if self._log_limit.allow(reason, raw.received):
            suppressed = self._log_limit.take_suppressed(reason)
            log.warning(
                "rejected message on %r: %s %s%s",
                raw.topic[:_LOG_CLIP],
                reason,
                detail[:_LOG_CLIP],
                f" ({suppressed} more {reason} rejects not logged)" if suppressed else "",
            )
