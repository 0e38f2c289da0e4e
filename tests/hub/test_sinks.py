"""Sinks registered on the dispatcher get accepted messages of their verb, and nothing else."""

from __future__ import annotations

from contract.payloads import Event, Message
from contract.topics import NodeKind, Topic, Verb
from tests.hub.conftest import Harness
from tests.hub.messages import FakeNode


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[Topic, Message, float]] = []

    def accept(self, topic: Topic, message: Message, received: float) -> None:
        self.seen.append((topic, message, received))


def test_sink_gets_accepted_messages_of_its_verb_only(harness: Harness) -> None:
    events = Recorder()
    harness.dispatcher.add_sink(Verb.EVENT, events)
    kiosk = FakeNode("kiosk-1", NodeKind.KIOSK)
    harness.send(kiosk.birth())
    harness.send(kiosk.data())
    harness.send(kiosk.event("session_end"))
    sent_at = harness.clock()
    harness.send(("cl/v1/kiosk/kiosk-1/EVENT", b"{broken"))
    assert len(events.seen) == 1
    topic, message, received = events.seen[0]
    assert (topic.node, topic.verb) == ("kiosk-1", Verb.EVENT)
    assert isinstance(message, Event)
    assert message.event == "session_end"
    assert received == sent_at


def test_a_sink_added_after_a_topic_was_seen_still_gets_its_messages(harness: Harness) -> None:
    kiosk = FakeNode("kiosk-1", NodeKind.KIOSK)
    harness.send(kiosk.birth())
    harness.send(kiosk.event("session_start"))  # the EVENT topic is now known, with no sink
    late = Recorder()
    harness.dispatcher.add_sink(Verb.EVENT, late)
    harness.send(kiosk.event("session_end"))
    assert [m.event for _, m, _ in late.seen if isinstance(m, Event)] == ["session_end"]
