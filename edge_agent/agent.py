"""Wiring: config -> modules, transports, pollers, state store, outbox, delivery, MQTT link, traps.

Everything runs under one ``TaskGroup`` (one task per target plus the node's
health reporter); a stop event ends the group, then the link sends the node
DEATH and disconnects, and sockets and the state file are closed.

Polling starts at once from the local config whatever the broker does: with
the broker (or the hub) away, DATA accumulates in the outbox and is replayed
when a session starts.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import platform
from typing import Any

import msgspec

from contract.codec import decode_as
from contract.errors import PayloadError
from contract.payloads import Command, HubState
from contract.topics import HUB_STATE_TOPIC, NodeKind, Verb, node_topic
from edge_agent import __version__, trap_rules
from edge_agent.clock import Clock, SystemClock
from edge_agent.collect import DeviceCollector
from edge_agent.config import EdgeConfig, TargetConfig
from edge_agent.delivery import Delivery
from edge_agent.health import NODE_METRICS, node_samples
from edge_agent.link import BdSeqStore, MqttLink
from edge_agent.modules import load_modules
from edge_agent.node import NodeSession
from edge_agent.outbox import Outbox, default_max_bytes
from edge_agent.poller import TargetPoller, phase_of
from edge_agent.snmp import pysnmp_transport
from edge_agent.snmp.transport import SnmpTransport
from edge_agent.snmp.v2c import UdpDispatcher, V2cTransport
from edge_agent.snmp.walk import Walker
from edge_agent.store import Store
from edge_agent.traps import Trap, TrapReceiver

log = logging.getLogger(__name__)

_STATE = msgspec.json.Encoder()
_STATE_DECODER = msgspec.json.Decoder(dict[str, Any])


class _Stopped(Exception):
    """Raised inside the task group to end it."""


class Agent:
    """A configured agent; :meth:`run` until the stop event is set."""

    def __init__(
        self,
        config: EdgeConfig,
        *,
        clock: Clock | None = None,
        transport_factory: Any = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._transport_factory = transport_factory
        # Loading here, not in run(), makes a bad module file fail before anything connects.
        self.modules = load_modules(name for target in config.targets for name in target.modules)
        self.pollers: list[TargetPoller] = []
        self.link: MqttLink | None = None
        self.session: NodeSession | None = None
        self.delivery: Delivery | None = None
        self.traps: TrapReceiver | None = None
        self.store: Store | None = None
        self.hub_online: bool | None = None
        self._connected_bd: int | None = None

    # Building.

    def _replay_rate(self) -> float:
        cfg = self.config
        if cfg.outbox.replay_rate is not None:
            return cfg.outbox.replay_rate
        live = sum(1 / cfg.plan(t).interval for t in cfg.targets) + 1 / cfg.poll.interval
        return max(20.0, 20.0 * live)

    def _transport(
        self, target: TargetConfig, dispatcher: UdpDispatcher | None, engine: Any
    ) -> SnmpTransport:
        if self._transport_factory is not None:
            built: SnmpTransport = self._transport_factory(target)
            return built
        auth = self.config.auths[target.auth]
        plan = self.config.plan(target)
        if auth.version == "3":
            return pysnmp_transport.PysnmpTransport(
                engine,
                address=target.address,
                port=target.port,
                auth=auth,
                context=target.context,
                timeout=plan.timeout,
                retries=plan.retries,
                max_repetitions=plan.max_repetitions,
            )
        assert dispatcher is not None  # opened whenever the transports are ours
        assert auth.community is not None  # v1/v2c require it
        community = auth.community.get_secret_value()
        return V2cTransport(
            dispatcher,
            address=target.address,
            port=target.port,
            community=f"{community}@{target.context}" if target.context else community,
            version=0 if auth.version == "1" else 1,
            timeout=plan.timeout,
            retries=plan.retries,
        )

    def _build(self, dispatcher: UdpDispatcher | None, engine: Any) -> None:
        cfg = self.config
        node = cfg.agent.node_id
        store = self.store = Store(cfg.agent.store_file(), synchronous=cfg.outbox.synchronous)
        outbox = Outbox(
            store,
            self.clock,
            max_bytes=cfg.outbox.max_bytes or default_max_bytes(len(cfg.targets), cfg.poll.interval),
            max_age=cfg.outbox.max_age,
            alarm_max_age=cfg.outbox.alarm_max_age,
        )
        session: NodeSession | None = None

        def stamp(message: Any, historical: bool) -> Any:
            assert session is not None  # set right below, before anything is sent
            return session.stamp(message, historical)

        delivery = Delivery(
            outbox, self.clock, stamp=stamp, window=cfg.outbox.window, replay_rate=self._replay_rate()
        )
        session = NodeSession(
            node,
            version=__version__,
            devices=[t.device for t in cfg.targets],
            delivery=delivery,
            wall=self.clock.wall_ms,
            labels=dict(cfg.agent.labels),
            properties={"host": platform.node()[:128], "python": platform.python_version()},
            metrics=NODE_METRICS,
        )
        saved = store.load_states()
        for target in cfg.targets:
            plan = cfg.plan(target)
            walker = Walker(
                self._transport(target, dispatcher, engine),
                max_repetitions=plan.max_repetitions,
                use_bulk=plan.bulk,
                concurrency=plan.walk_concurrency,
                columns_per_pdu=cfg.poll.columns_per_pdu,
                retry_bulk_after=cfg.poll.retry_bulk_after,
            )
            collector = DeviceCollector([self.modules[name] for name in target.modules], walker)
            if target.device in saved:
                try:
                    collector.load_state(_STATE_DECODER.decode(saved[target.device]))
                except msgspec.DecodeError:
                    log.warning("%s: saved state unreadable; counters start afresh", target.device)
            self.pollers.append(
                TargetPoller(
                    device=target.device,
                    kind=target.kind,
                    labels=dict(target.labels),
                    collector=collector,
                    sink=session,
                    interval=plan.interval,
                    deadline=plan.deadline,
                    phase=phase_of(target.device, plan.interval, cfg.poll.jitter),
                    clock=self.clock,
                    save_state=self._save_state,
                )
            )
        self.session, self.delivery = session, delivery
        self.link = MqttLink(
            cfg.mqtt,
            cfg.mqtt.client_id or node,
            will_topic=node_topic(NodeKind.AGENT, node, Verb.DEATH),
            will_payload=session.death_payload,
            subscriptions=[node_topic(NodeKind.AGENT, node, Verb.CMD), HUB_STATE_TOPIC],
            store=BdSeqStore(cfg.agent.state_file()),
            on_connected=self._connected,
            on_disconnected=self._disconnected,
            on_message=self._message,
            on_acked=delivery.acked,
        )

    def _save_state(self, device: str, state: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.save_state(device, _STATE.encode(state))

    # Running.

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and publish until ``stop`` is set; ends with the node DEATH when connected."""
        dispatcher: UdpDispatcher | None = None
        engine: Any = None
        try:
            if self._transport_factory is None:
                dispatcher = await UdpDispatcher.open(max_in_flight=self.config.poll.max_in_flight)
                if any(self.config.auths[t.auth].version == "3" for t in self.config.targets):
                    engine = pysnmp_transport.new_engine()
            self._build(dispatcher, engine)
            # Everything built so far lives as long as the process: take it out of the cyclic
            # collector's sight, or full collections over thousands of targets' objects take
            # a quarter of a second each and stall the event loop (measured at 3,131 gNBs).
            gc.freeze()
            assert self.link is not None  # built above
            self.link.start()
            if self.config.traps.enabled:
                self.traps = TrapReceiver(
                    self.config.traps, self.config.auths, self.config.targets, self._trap
                )
                await self.traps.start()
            async with asyncio.TaskGroup() as group:
                for poller in self.pollers:
                    group.create_task(poller.run(), name=f"poll-{poller.device}")
                group.create_task(self._report_health(), name="node-health")
                group.create_task(self._wait(stop), name="stop")
        except* _Stopped:
            log.info("stopping")
        finally:
            await self._close(dispatcher, engine)

    async def _close(self, dispatcher: UdpDispatcher | None, engine: Any) -> None:
        if self.delivery is not None:
            self.delivery.flush()
        if self.link is not None and self.session is not None:
            death = (self.session.topic(Verb.DEATH), self.session.death_payload(self.link.bd_seq))
            await self.link.stop(death)
        if self.delivery is not None:
            self.delivery.stop()
            self.delivery.flush()
        if self.traps is not None:
            self.traps.close()
        for poller in self.pollers:
            await poller.transport.close()
        if dispatcher is not None:
            dispatcher.close()
        if engine is not None:
            pysnmp_transport.close_engine(engine)
        if self.store is not None:
            self.store.close()

    # Link callbacks (on the event loop).

    def _session_wanted(self) -> bool:
        if self._connected_bd is None:
            return False
        if self.config.mqtt.wait_for_hub:
            return self.hub_online is True
        return self.hub_online is not False

    def _update_session(self) -> None:
        assert self.session is not None  # built before the link starts
        assert self.link is not None
        wanted = self._session_wanted()
        if wanted and not self.session.online:
            assert self._connected_bd is not None  # _session_wanted checks
            self.session.start(self._connected_bd, self.link.publish)
        elif not wanted and self.session.online:
            self.session.stop()

    def _connected(self, bd_seq: int) -> None:
        self._connected_bd = bd_seq
        self._update_session()

    def _disconnected(self) -> None:
        self._connected_bd = None
        # The next connection must see the hub's STATE again (a restarted broker may have lost it).
        self.hub_online = None
        self._update_session()

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        assert self.session is not None
        try:
            if topic == HUB_STATE_TOPIC:
                state = decode_as(payload, HubState)
                if state.online != self.hub_online:
                    log.info("hub is %s%s", "online" if state.online else "offline", " (retained)" * retained)
                self.hub_online = state.online
                self._update_session()
                return
            command = decode_as(payload, Command)
        except PayloadError as exc:
            log.warning("ignoring bad message on %s: %s", topic, exc)
            return
        log.info("command %r from the hub", command.command)
        if command.command == "rebirth":
            self.session.rebirth()

    def _trap(self, trap: Trap) -> None:
        assert self.session is not None
        if_names: dict[str, str] = {}
        if trap.device is not None:
            poller = next(p for p in self.pollers if p.device == trap.device)
            if_names = poller.collector.lookup_names("ifname")
        actions = trap_rules.actions_for(trap, if_names)
        if not actions:
            log.debug("trap %s from %s: no rule", trap.trap_oid, trap.source)
        ts = self.clock.wall_ms()
        for action in actions:
            if isinstance(action, trap_rules.AlarmAction):
                if trap.device is None:
                    log.warning("%s from %s matches no device; not sent", action.alarm, trap.source)
                    continue
                self.session.device_alarm(
                    trap.device,
                    ts,
                    action.alarm,
                    action.state,
                    severity=action.severity,
                    resource=action.resource,
                    text=action.text,
                )
            elif trap.device is not None:
                self.session.device_event(trap.device, ts, action.event, action.attrs)

    async def _report_health(self) -> None:
        assert self.session is not None  # built before the task group starts
        assert self.delivery is not None
        while True:
            await self.clock.sleep(self.config.poll.interval)
            samples = node_samples(
                self.pollers,
                self.delivery,
                link=self.link,
                hub_online=bool(self.hub_online),
                traps=self.traps.stats if self.traps is not None else None,
                wall_ms=self.clock.wall_ms(),
            )
            self.session.node_data(samples)

    @staticmethod
    async def _wait(stop: asyncio.Event) -> None:
        await stop.wait()
        raise _Stopped
