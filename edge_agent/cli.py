"""``cunlink edge --config FILE``: run the edge agent until SIGINT or SIGTERM.

Exit codes: 0 after a clean stop (node DEATH published when connected), 2 for
a bad config or module file (the message names file:line:key).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from contract.configfile import ConfigError
from edge_agent import __version__
from edge_agent.agent import Agent
from edge_agent.clock import SystemClock
from edge_agent.config import load

log = logging.getLogger("edge_agent")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cunlink edge",
        description="Poll 5G base stations, OLT uplinks and UPSes over SNMP and report them to the "
        "cunlink hub over MQTT (contract v1: BIRTH/DEATH per node and device, one DATA per device "
        "per poll). Stops cleanly on SIGINT or SIGTERM, publishing the node DEATH first.",
        epilog="Check a config without running: cunlink validate-config FILE. "
        "Config reference: docs/edge_agent.md.",
    )
    parser.add_argument(
        "--config", "-c", type=Path, required=True, metavar="FILE", help="agent config (YAML)"
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log verbosity (default: info)",
    )
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        metavar="X",
        help="run agent time X times faster than real time, for tests and benchmarks against a simulator "
        "started with the same --speed; never in production (default 1)",
    )
    parser.add_argument("--version", action="version", version=f"cunlink edge agent {__version__}")
    return parser


async def _serve(agent: Agent) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await agent.run(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    """Run the agent; ``argv`` excludes the ``edge`` command word."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.clock_speed <= 0:
        parser.error("--clock-speed must be positive")
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = load(args.config)
        agent = Agent(config, clock=SystemClock(args.clock_speed))
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    log.info(
        "edge agent %s: node %s, %d target(s), every %.0f s",
        __version__,
        config.agent.node_id,
        len(config.targets),
        config.poll.interval,
    )
    asyncio.run(_serve(agent))
    log.info("stopped")
    return 0
