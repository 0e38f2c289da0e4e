"""Simulated devices that speak MQTT as a kiosk would: ``python -m tests.hub.rollouts.devsim``.

Each device is one paho client publishing a NodeBirth whose ``version`` is what its install
root's ``current`` link points at (what the real program reports from
CUNLINK_RELEASE_VERSION after its unit restarts). It watches the link and re-births when it
moves, answers the hub's rebirth command, and leaves a Will (DEATH) so that killing the
process takes the device offline, as a pulled plug would.

Arguments: ``--broker HOST:PORT`` then ``NODE=ROOT`` pairs. With ``--control FILE``, the
nodes listed in FILE (one per line) are offline: they do not connect at start, leave (DEATH)
when added and come back (a new session, BIRTH) when removed; the file is re-read when it
changes, so a test or benchmark moves many devices without a process each.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from contract import codec
from contract import payloads as p
from contract.session import SeqCounter
from contract.topics import NodeKind, Verb, node_topic

POLL_S = 0.2


def release_of(root: Path) -> str:
    try:
        return Path(os.readlink(root / "current")).name
    except OSError:
        return "none"


class SimDevice:
    def __init__(self, host: str, port: int, node: str, root: Path) -> None:
        self.node, self.root = node, root
        self.seq = SeqCounter()
        self.bd_seq = int(time.time()) % 250 + 1
        self.version = release_of(root)
        self._lock = threading.Lock()
        client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"sim-{node}")
        death = codec.encode(p.NodeDeath(ts=int(time.time() * 1000), bd_seq=self.bd_seq))
        client.will_set(self._topic(Verb.DEATH), death, qos=1)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        self.client = client
        client.connect(host, port, keepalive=10)
        client.loop_start()

    def _topic(self, verb: Verb) -> str:
        return node_topic(NodeKind.KIOSK, self.node, verb)

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(self._topic(Verb.CMD), qos=1)
        self.birth()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        del client, userdata
        if codec.decode_as(bytes(message.payload), p.Command).command == "rebirth":
            self.birth()

    def birth(self) -> None:
        with self._lock:
            msg = p.NodeBirth(
                ts=int(time.time() * 1000), seq=self.seq.birth(), bd_seq=self.bd_seq, version=self.version
            )
            self.client.publish(self._topic(Verb.BIRTH), codec.encode(msg), qos=1)

    def leave(self) -> None:
        """Go offline cleanly: a DEATH (a clean disconnect sends no Will), then disconnect."""
        death = p.NodeDeath(ts=int(time.time() * 1000), bd_seq=self.bd_seq)
        self.client.publish(self._topic(Verb.DEATH), codec.encode(death), qos=1).wait_for_publish(5)
        self.client.disconnect()

    def poll(self) -> None:
        version = release_of(self.root)
        if version != self.version:
            # The real program restarts with the new release and re-births; so do we.
            self.version = version
            self.birth()


def read_control(path: Path | None) -> set[str]:
    """The nodes a control file takes offline (none without a file)."""
    if path is None:
        return set()
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    parser.add_argument("--control", type=Path, help="file naming the nodes that are offline")
    parser.add_argument("devices", nargs="+")
    args = parser.parse_args(argv)
    host, _, port = args.broker.rpartition(":")
    roots = dict(pair.partition("=")[::2] for pair in args.devices)
    offline = read_control(args.control)
    devices = {n: SimDevice(host, int(port), n, Path(r)) for n, r in roots.items() if n not in offline}
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(POLL_S):
        wanted = read_control(args.control)
        if wanted != offline:
            offline = wanted
            for node in [n for n in devices if n in offline]:
                devices.pop(node).leave()
            for node in [n for n in roots if n not in offline and n not in devices]:
                # A new session, as a device back from a power cut: BIRTH on connect.
                devices[node] = SimDevice(host, int(port), node, Path(roots[node]))
        for device in devices.values():
            device.poll()
    for device in devices.values():
        device.leave()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
