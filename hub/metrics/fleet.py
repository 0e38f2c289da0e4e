"""The fleet's own families: cl_device_info/cl_device_up and cl_node_info/cl_node_up.

Every known device has an info line (its place and agent) and, unless its state is
unknown, an up line. Those lines change only on a BIRTH (new labels or owner) or a DEATH,
so each device's lines are cached and reused while its labels mapping, its node's labels
mapping (both replaced, never mutated, on BIRTH), its kind and its node are the same.
Nodes are few and rendered afresh.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.metrics import text
from hub.snapshot import PLACE_LABELS, DeviceView, Snapshot

_DEVICE_INFO = (
    "cl_device",
    "info",
    "Every device the hub knows (value 1); join on device for its place and agent.",
)
_DEVICE_UP = ("cl_device_up", "gauge", "1 while the device's session is live, 0 after its DEATH.")
_NODE_INFO = (
    "cl_node",
    "info",
    "Every node (edge agent or kiosk) the hub knows (value 1), with its software version.",
)
_NODE_UP = ("cl_node_up", "gauge", "1 while the node's session is live.")
_EMPTY: Mapping[str, str] = {}


class _Lines:
    """One device's cached lines and what they were built from."""

    __slots__ = ("down", "info", "kind", "labels", "node", "node_labels", "up")

    def __init__(self, device: DeviceView, node_labels: Mapping[str, str]) -> None:
        self.labels, self.node_labels = device.labels, node_labels
        self.kind, self.node = device.kind, device.node
        pairs = zip(
            ("device", "kind", "node", *PLACE_LABELS),
            (device.id, device.kind, device.node, *device.place(node_labels)),
            strict=True,
        )
        self.info = f"cl_device_info{text.labels(pairs)} 1.0\n"
        up = f'cl_device_up{{device="{text.escape(device.id)}"}} '
        self.up, self.down = up + "1.0\n", up + "0.0\n"


class FleetText:
    """Renders the fleet families of a snapshot, reusing each device's lines while they hold."""

    def __init__(self) -> None:
        self._lines: dict[str, _Lines] = {}

    def render(self, snapshot: Snapshot, fmt: str) -> list[str]:
        """The four families' text pieces, in order."""
        # By id alone: hashing the (NodeKind, id) key calls Enum.__hash__, a Python function,
        # once per device. An id used by two kinds (hardly ever) is looked up with its kind.
        by_id: dict[str, Mapping[str, str]] = {}
        shared: set[str] = set()
        for node in snapshot.nodes:
            if node.id in by_id:
                shared.add(node.id)
            by_id[node.id] = node.labels
        node_labels = snapshot.node_labels() if shared else {}
        old, fresh = self._lines, {}
        info: list[str] = []
        up: list[str] = []
        for device in snapshot.devices:
            if device.node in shared:
                labels = node_labels.get((device.node_kind, device.node), _EMPTY)
            else:
                labels = by_id.get(device.node, _EMPTY)
            lines = old.get(device.id)
            if (
                lines is None
                or lines.labels is not device.labels
                or lines.node_labels is not labels
                or lines.kind != device.kind
                or lines.node != device.node
            ):
                lines = _Lines(device, labels)
            fresh[device.id] = lines
            info.append(lines.info)
            if not device.pending:  # unknown is not down: no sample until it re-births or dies
                up.append(lines.up if device.online else lines.down)
        self._lines = fresh
        node_info: list[str] = []
        node_up: list[str] = []
        for node in snapshot.nodes:
            place = tuple(node.labels.get(k, "") for k in PLACE_LABELS)
            pairs = zip(
                ("node", "kind", "version", *PLACE_LABELS),
                (node.id, node.kind.value, node.version, *place),
                strict=True,
            )
            node_info.append(f"cl_node_info{text.labels(pairs)} 1.0\n")
            if not node.pending:
                node_labels_text = text.labels((("node", node.id), ("kind", node.kind.value)))
                node_up.append(f"cl_node_up{node_labels_text} {'1.0' if node.online else '0.0'}\n")
        pieces: list[str] = []
        for (family, type_, help_), lines_ in (
            (_DEVICE_INFO, info),
            (_DEVICE_UP, up),
            (_NODE_INFO, node_info),
            (_NODE_UP, node_up),
        ):
            pieces.append(text.header(family, type_, help_, fmt))
            pieces.append("".join(lines_))
        return pieces
