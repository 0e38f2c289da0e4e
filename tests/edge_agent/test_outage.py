"""A 10-minute broker outage with zero loss, run on an accelerated clock.

Ten real minutes is too long for CI, so agent and simulator both run 60 times
faster than real time: the agent's :class:`~edge_agent.clock.SystemClock` with
``speed=60`` (polls every 60 s of agent time = every real second; timestamps,
ages and the replay rate follow agent time) and the simulator's ``--speed 60``
(so sysUpTime and counters advance consistently with the agent's clock). The
broker is really stopped for 10 real seconds, which is 10 minutes of agent
time: ten poll cycles of every device happen with no broker. The SNMP and MQTT
timeouts stay in real seconds, because the network is real.

What is checked, per device: every cycle the agent polled reaches the broker
(one DATA per 60 s of agent time, no gap), historical replays arrive in
timestamp order, duplicates (a PUBACK lost with the connection) carry the same
content and vanish when de-duplicated on (device, ts), and the backlog drains
at more than 10 times the live message rate.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from contract.payloads import Data
from edge_agent.clock import SystemClock
from tests.edge_agent.conftest import publish_hub_state, sim_config
from tests.edge_agent.mqtt_recorder import MqttRecorder
from tests.support.services import Mosquitto

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]

SPEED = 60.0
INTERVAL = 60.0  # agent seconds: one real second at SPEED


async def test_ten_minute_broker_outage_loses_nothing(
    tmp_path: Path, start_sim: Any, mosquitto: Mosquitto, run_agent: Any
) -> None:
    sim = await start_sim(gnbs=2, speed=SPEED)
    devices = [d.id for d in sim.sim.devices.devices]
    publish_hub_state(mosquitto, True)
    recorder = MqttRecorder(mosquitto.host, mosquitto.port, "edge-sim-t")
    try:
        clock = SystemClock(speed=SPEED)
        config = sim_config(tmp_path, sim, devices, mosquitto=mosquitto, interval=INTERVAL)
        agent, stop, task = await run_agent(config, clock)

        def cycles_seen(n: int) -> bool:
            return all(len(recorder.messages(Data, d)) >= n for d in devices)

        await recorder.wait_for("3 live cycles", lambda: cycles_seen(3), 30)
        await asyncio.to_thread(mosquitto.stop)
        outage_started = clock.now()
        await asyncio.sleep(600 / SPEED)  # ten minutes of agent time without a broker
        await asyncio.to_thread(mosquitto.start)
        assert await asyncio.to_thread(recorder.wait_subscribed, 15)
        stored = agent.delivery.outbox.depth
        # The hub comes back too and says so; the agent starts a session and replays.
        back_at = time.monotonic()
        await asyncio.to_thread(publish_hub_state, mosquitto, True)
        outage = clock.now() - outage_started

        def replayed() -> bool:
            return (
                agent.delivery.stats.sent_replay >= stored and agent.delivery.outbox.depth < len(devices) + 2
            )

        await recorder.wait_for("backlog replayed", replayed, 30)
        live_after = {d: len(recorder.messages(Data, d)) for d in devices}
        await recorder.wait_for(
            "live cycles after the replay",
            lambda: all(len(recorder.messages(Data, d)) >= live_after[d] + 2 for d in devices),
            30,
        )
        stop.set()
        await asyncio.wait_for(task, 15)
    finally:
        recorder.close()

    assert outage >= 600 - INTERVAL  # the broker really was away for ten minutes of agent time
    assert stored >= 10 * len(devices)  # ten cycles of every device waited in the outbox
    assert recorder.errors == []
    for poller in agent.pollers:
        device = poller.device
        received = [(m.ts, m) for _, m in recorder.messages(Data, device)]
        unique: dict[int, Data] = {}
        for ts, message in received:
            if ts in unique:  # a duplicate: same cycle, same content
                assert message.metrics == unique[ts].metrics
            unique[ts] = message
        produced = poller.health.cycles - poller.health.failures
        # Everything polled reached the broker, except at most the last cycle still in flight at stop.
        assert produced - 1 <= len(unique) <= produced, device
        stamps = sorted(unique)
        gaps = [(b - a) / 1000 for a, b in itertools.pairwise(stamps)]
        # One DATA per cycle: a longer gap only where the agent itself skipped a slot (a starved loop).
        assert len([g for g in gaps if g >= 1.5 * INTERVAL]) <= poller.health.skipped, (device, gaps)
        historical = [m.ts for _, m in recorder.messages(Data, device) if m.historical]
        assert len(historical) >= 9
        assert historical == sorted(historical)  # replayed in order
    hist_arrivals = [
        r.at for r in recorder._snapshot() if isinstance(r.message, Data) and r.message.historical
    ]
    catch_up = len(hist_arrivals) / max(max(hist_arrivals) - back_at, 1e-3)
    live_rate = (len(devices) + 1) * SPEED / INTERVAL  # messages per real second: devices + the node
    print(
        f"catch-up {catch_up:.0f} msg/s = {catch_up / live_rate:.1f} x the live rate ({live_rate:.0f} msg/s)"
    )
    assert catch_up >= 10 * live_rate, (catch_up, live_rate)
