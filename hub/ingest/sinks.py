"""The extension point for what the hub does with node messages beyond fleet state.

Work orders take REQ, alarms take ALARM, usage metrics take EVENT. A sink is called
on the event loop, once per accepted message (live or historical), and must not
block: anything slow (a database write, a reply) goes through the sink's own queue
and task, which the sink's owner runs in ``app.cleanup_ctx``.
"""

from __future__ import annotations

from typing import Protocol

from contract.payloads import Message
from contract.topics import Topic


class MessageSink(Protocol):
    """Receives accepted node messages of the verbs it was registered for."""

    def accept(self, topic: Topic, message: Message, received: float) -> None:
        """Take one message; ``received`` is the hub's receive time (epoch seconds)."""
