"""Wiring: config -> modules, transports, pollers, node session, outbox, MQTT publisher.

Everything runs under one ``TaskGroup`` (one task per target plus the node's
health reporter); a stop event ends the group, then the publisher sends the
node DEATH and disconnects, and the SNMP engine is closed.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import time
from collections.abc import Callable
from typing import Any

from contract.payloads import Command
from contract.topics import NodeKind, Verb, node_topic
from edge_agent import __version__
from edge_agent.collect import DeviceCollector
from edge_agent.config import EdgeConfig, TargetConfig
from edge_agent.health import NODE_METRICS, NodeHealth
from edge_agent.modules import load_modules
from edge_agent.node import NodeSession
from edge_agent.outbox import MemoryOutbox
from edge_agent.poller import Clock, Sleep, TargetPoller, WallMs, phase_of, wall_ms
from edge_agent.publish import BdSeqStore, MqttPublisher
from edge_agent.snmp import pysnmp_transport
from edge_agent.snmp.transport import SnmpTransport

log = logging.getLogger(__name__)

#: Builds the transport of one target; tests swap in fakes.
TransportFactory = Callable[[TargetConfig], SnmpTransport]


class _Stopped(Exception):
    """Raised inside the task group to end it."""


class Agent:
    """A configured agent; :meth:`run` until the stop event is set."""

    def __init__(
        self,
        config: EdgeConfig,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall: WallMs = wall_ms,
        transport_factory: TransportFactory | None = None,
    ) -> None:
        self.config = config
        self._clock, self._sleep, self._wall = clock, sleep, wall
        self._transport_factory = transport_factory
        # Loading here, not in run(), makes a bad module file fail before anything connects.
        self.modules = load_modules(name for target in config.targets for name in target.modules)
        self.connects = 0
        self.pollers: list[TargetPoller] = []
        self.publisher: MqttPublisher | None = None
        self.session: NodeSession | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and publish until ``stop`` is set; ends with the node DEATH when connected."""
        engine: Any = None
        publisher: MqttPublisher | None = None
        transports: list[SnmpTransport] = []
        try:
            factory = self._transport_factory
            if factory is None:
                engine = pysnmp_transport.new_engine()
                factory = self._pysnmp_factory(engine)
            transports = [factory(target) for target in self.config.targets]
            publisher = self._build(transports)
            publisher.start()
            async with asyncio.TaskGroup() as group:
                for poller in self.pollers:
                    group.create_task(poller.run(), name=f"poll-{poller.device}")
                group.create_task(self._report_health(), name="node-health")
                group.create_task(self._wait(stop), name="stop")
        except* _Stopped:
            log.info("stopping")
        finally:
            if publisher is not None:
                await publisher.stop()
            for transport in transports:
                await transport.close()
            if engine is not None:
                pysnmp_transport.close_engine(engine)

    def _pysnmp_factory(self, engine: Any) -> TransportFactory:
        cfg = self.config

        def build(target: TargetConfig) -> SnmpTransport:
            return pysnmp_transport.PysnmpTransport(
                engine,
                address=target.address,
                port=target.port,
                auth=cfg.auths[target.auth],
                context=target.context,
                timeout=cfg.poll.timeout,
                retries=cfg.poll.retries,
                max_repetitions=cfg.poll.max_repetitions,
            )

        return build

    def _build(self, transports: list[SnmpTransport]) -> MqttPublisher:
        cfg = self.config
        node = cfg.agent.node_id
        publisher = MqttPublisher(
            cfg.mqtt,
            node,
            death_topic=node_topic(NodeKind.AGENT, node, Verb.DEATH),
            cmd_topic=node_topic(NodeKind.AGENT, node, Verb.CMD),
            store=BdSeqStore(cfg.agent.state_file()),
            wall=self._wall,
            on_connected=self._connected,
            on_disconnected=self._disconnected,
            on_command=self._command,
        )
        # One slot more than devices: the node's own DATA is held too.
        self.outbox = MemoryOutbox(publisher, cfg.mqtt.max_buffered_devices + 1)
        session = NodeSession(
            node,
            version=__version__,
            devices=[t.device for t in cfg.targets],
            outbox=self.outbox,
            labels=dict(cfg.agent.labels),
            properties={"host": platform.node()[:128], "python": platform.python_version()},
            metrics=NODE_METRICS,
            wall=self._wall,
        )
        for target, transport in zip(cfg.targets, transports, strict=True):
            self.pollers.append(
                TargetPoller(
                    device=target.device,
                    kind=target.kind,
                    labels=dict(target.labels),
                    collector=DeviceCollector([self.modules[name] for name in target.modules]),
                    transport=transport,
                    sink=session,
                    interval=cfg.poll.interval,
                    deadline=cfg.poll.effective_deadline,
                    phase=phase_of(target.device, cfg.poll.interval, cfg.poll.jitter),
                    clock=self._clock,
                    sleep=self._sleep,
                    wall=self._wall,
                )
            )
        self.session, self.publisher = session, publisher
        return publisher

    # Publisher callbacks (on the event loop).

    def _connected(self, bd_seq: int) -> None:
        self.connects += 1
        assert self.session is not None  # built before the publisher starts
        self.session.connected(bd_seq)

    def _disconnected(self) -> None:
        assert self.session is not None
        self.session.disconnected()

    def _command(self, command: Command) -> None:
        assert self.session is not None
        log.info("command %r from the hub", command.command)
        if command.command == "rebirth":
            self.session.rebirth()

    async def _report_health(self) -> None:
        assert self.session is not None
        health = NodeHealth(self.pollers, self.outbox)
        while True:
            await self._sleep(self.config.poll.interval)
            health.connects = self.connects
            self.session.node_data(health.samples())

    @staticmethod
    async def _wait(stop: asyncio.Event) -> None:
        await stop.wait()
        raise _Stopped
