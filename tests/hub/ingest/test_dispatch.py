"""The dispatcher's cache of parsed topics must not change what is accepted or rejected."""

from __future__ import annotations

from hub.ingest.handoff import Raw
from tests.hub.conftest import make_harness
from tests.hub.messages import FakeNode, cpu


def test_a_known_topic_still_gets_its_payload_checked() -> None:
    h = make_harness()
    agent = FakeNode("edge-1")
    h.send(agent.birth(devices=["gnb-1"]))
    h.send(agent.device_birth("gnb-1"))
    topic, payload = agent.data("gnb-1", cpu(0.5))
    h.send((topic, payload))  # the topic is parsed and remembered here
    h.send((topic, b"{not json"))
    h.send((topic, b'{"ts": 1, "seq": 9, "metrics": [{"name": "cpu_usage_ratio", "value": "high"}]}'))
    h.send(agent.data("gnb-1", cpu(0.75)))
    stats = h.stats.view(h.clock())
    assert (stats.rejected["json"], stats.rejected["schema"]) == (1, 1)
    assert h.value("gnb-1", "cpu_usage_ratio") == 0.75


def test_an_invalid_topic_is_rejected_every_time() -> None:
    h = make_harness()
    agent = FakeNode("edge-1")
    h.send(agent.birth())
    for _ in range(2):
        h.dispatcher.handle(Raw("cl/v1/agent/edge-1/REPLY/gnb-1", b"{}", h.clock()))  # no device level
        h.dispatcher.handle(Raw("cl/v1/agent/edge 1/DATA", b"{}", h.clock()))  # not an id
    assert h.stats.view(h.clock()).rejected["topic"] == 4
