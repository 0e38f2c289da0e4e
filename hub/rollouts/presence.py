"""What MQTT says about each node: online or not, and the version its last BIRTH reported.

Fed by a BIRTH sink (every accepted BIRTH, hub/ingest/sinks.py) and by the fleet state's
transition listener (DEATH, expiry). Starts empty after a hub restart on purpose: a node
counts as online only once it has re-born to this hub, so no wave is sent to a device
that might be gone. Nor is one that was online before the restart counted offline before
the fleet state's restore grace ends (``unsure``): a wave must not settle, and its devices
must not be deferred, only because the hub has not heard from them again yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from contract import payloads as p
from contract.topics import Topic
from hub.snapshot import Transition


class Presence:
    def __init__(self, restored: Callable[[], Iterable[str]] = tuple) -> None:
        #: Nodes the fleet state restored as online after a restart that have not re-born yet
        #: (its restore grace, hub/state.py): not known to be offline, so not deferred yet.
        self._restored = restored
        self._online: dict[str, bool] = {}
        self._version: dict[str, str] = {}
        #: Called with the node id after each change (on the event loop).
        self.listeners: list[Callable[[str], None]] = []

    def accept(self, topic: Topic, message: p.Message, received: float) -> None:
        del received
        if topic.is_device or not isinstance(message, p.NodeBirth):
            return
        self._online[topic.node] = True
        self._version[topic.node] = message.version
        self._tell(topic.node)

    def transition(self, change: Transition) -> None:
        if change.entity != "node" or change.state == "online":
            return  # online comes with the BIRTH above, which also carries the version
        self._online[change.id] = False
        self._tell(change.id)

    def online(self, node: str) -> bool:
        return self._online.get(node, False)

    def unsure(self) -> set[str]:
        """Nodes whose state is not known yet: restored by a restart, neither re-born nor dead."""
        return {node for node in self._restored() if node not in self._online}

    def version(self, node: str) -> str | None:
        return self._version.get(node)

    def _tell(self, node: str) -> None:
        for listener in self.listeners:
            listener(node)
