"""GETBULK trouble against the simulator over real UDP: an agent that drops GETBULK, and small messages.

The simulator's ``no_bulk`` fault makes a device ignore GETBULK while it still answers
GET and GETNEXT (as old UPS cards and some firmwares do); a small ``max_msg_size``
cuts every GETBULK answer short (tooBig itself is covered with the fake transport).
Either way the agent must still read the whole table, with the same values as a
clean GETBULK walk of a frozen clock.
"""

from __future__ import annotations

import pytest

from edge_agent.modules import load_modules
from edge_agent.snmp.v2c import UdpDispatcher
from tests.edge_agent.conftest import SimHandle, collector

pytestmark = pytest.mark.slow


async def test_device_that_drops_getbulk_is_walked_with_getnext(
    start_sim: object, dispatcher: UdpDispatcher
) -> None:
    sim: SimHandle = await start_sim(gnbs=1)  # type: ignore[operator]
    sim.clock.freeze()
    gnb = sim.devices("gnb")[0]
    modules = load_modules(["system", "if_mib"])
    ordered = [modules["system"], modules["if_mib"]]
    clean = await collector(ordered, sim.v2c(dispatcher, gnb, timeout=0.5)).poll(1e9)

    sim.fault(gnb, "no_bulk")
    stubborn = collector(ordered, sim.v2c(dispatcher, gnb, timeout=0.5))
    fallen_back = await stubborn.poll(1e9)
    assert fallen_back.errors == []
    assert fallen_back.samples == clean.samples
    assert stubborn.walker.stats.bulk_fallbacks >= 1
    dropped = sim.sim.responder.stats.not_responding
    assert dropped >= 1, "the simulator really ignored a GETBULK"

    # The next cycle stays on GETNEXT: no more GETBULKs are sent into the void.
    again = await stubborn.poll(1e9)
    assert again.samples == clean.samples
    assert sim.sim.responder.stats.not_responding == dropped


async def test_answers_cut_to_a_small_message_size_lose_nothing(
    start_sim: object, dispatcher: UdpDispatcher
) -> None:
    sim: SimHandle = await start_sim(gnbs=1)  # type: ignore[operator]
    sim.clock.freeze()
    gnb = sim.devices("gnb")[0]
    modules = load_modules(["if_mib"])
    clean = await collector([modules["if_mib"]], sim.v2c(dispatcher, gnb, timeout=0.5)).poll(1e9)

    # RFC 3417's minimum message size: GETBULK answers come back truncated (RFC 3416 4.2.3).
    sim.sim.responder.max_msg_size = 484
    small = collector([modules["if_mib"]], sim.v2c(dispatcher, gnb, timeout=0.5))
    result = await small.poll(1e9)
    assert result.errors == []
    assert result.samples == clean.samples
    assert sim.sim.responder.stats.truncated >= 1
