"""``cunlink hub``: run the hub until SIGINT or SIGTERM.

Exit codes: 0 after a clean stop, 2 for a bad config or bad arguments, 1 when the hub
cannot start (e.g. the HTTP port is taken).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web

from contract.configfile import ConfigError
from contract.fleet import FleetError
from hub.app import create_app
from hub.config import OVERRIDES, HubConfig, load

log = logging.getLogger("hub")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``cunlink hub``."""
    parser = argparse.ArgumentParser(
        prog="cunlink hub",
        description="Ingest node telemetry from MQTT and expose it to Prometheus.",
    )
    parser.add_argument("--config", metavar="FILE", help="YAML config file (default: built-in defaults)")
    parser.add_argument("--mqtt-host", metavar="HOST", help="override mqtt.host")
    parser.add_argument("--mqtt-port", metavar="PORT", type=int, help="override mqtt.port")
    parser.add_argument("--http-host", metavar="HOST", help="override http.host")
    parser.add_argument("--http-port", metavar="PORT", type=int, help="override http.port")
    parser.add_argument("--fleet", metavar="FILE", help="override fleet (the fleet inventory file)")
    parser.add_argument("--data-dir", metavar="DIR", help="override data_dir (SQLite databases)")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="INFO", help="default: INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; ``argv`` is what follows ``cunlink hub`` on the command line."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = {name: getattr(args, name) for name in OVERRIDES}
    try:
        config = load(args.config, overrides)
    except ConfigError as exc:
        print(f"cunlink hub: invalid config:\n{exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(config, access_log=args.log_level == "DEBUG"))
    except FleetError as exc:
        print(f"cunlink hub: invalid fleet file:\n{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        log.error("cannot start: %s", exc)  # noqa: TRY400 - the message says it all; no traceback
        return 1
    return 0


async def serve(config: HubConfig, *, stop: asyncio.Event | None = None, access_log: bool = False) -> None:
    """Run the hub until ``stop`` is set, or SIGINT/SIGTERM arrives; then shut down cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(
        create_app(config, freeze_gc=True), access_log=logging.getLogger("hub.access") if access_log else None
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.http.host, config.http.port)
        await site.start()
        log.info(
            "hub serving on http://%s:%d/, broker %s:%d",
            config.http.host,
            config.http.port,
            config.mqtt.host,
            config.mqtt.port,
        )
        await stop.wait()
        log.info("stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        # Runs the app's cleanup contexts: STATE offline, disconnect, network thread joined.
        await runner.cleanup()
