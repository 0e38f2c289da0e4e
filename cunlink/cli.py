"""``cunlink <command> ...``: dispatch to the program that owns the command.

Each program parses its own arguments (so ``cunlink hub --help`` is the hub's help);
imports are lazy so that ``cunlink sim`` does not load the hub and vice versa.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from cunlink import __version__

# command -> (module with main(argv), whether the command word itself is passed on, summary)
COMMANDS: dict[str, tuple[str, bool, str]] = {
    "demo": (
        "cunlink.demo",
        False,
        "run broker, SNMP simulator, edge agent and hub together on this machine",
    ),
    "hub": ("hub.cli", False, "run the central hub (MQTT ingest, /metrics, API)"),
    "edge": ("edge_agent.cli", False, "run an edge agent (SNMP poller publishing over MQTT)"),
    "kiosk": ("kiosk.app", False, "run the village kiosk (Qt Quick touch screen)"),
    "sim": ("simulator.cli", True, "serve simulated devices over real SNMP on loopback"),
    "fleet": ("simulator.cli", True, "generate the synthetic Bazhong fleet inventory (fleet generate)"),
    "validate-config": ("cunlink.validate", False, "check a hub, edge agent or kiosk config file"),
    "rollout": ("hub.rollouts.cli", False, "start and watch software rollouts on the hub (create, status)"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"usage: cunlink <command> [options]   (cunlink {__version__})", "", "commands:"]
    lines += [f"  {name:<{width}}  {summary}" for name, (_, _, summary) in COMMANDS.items()]
    lines += ["", "Run `cunlink <command> --help` for the options of one command."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        sys.stdout.write(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        sys.stdout.write(f"cunlink {__version__}\n")
        return 0
    command = args[0]
    if command not in COMMANDS:
        sys.stderr.write(f"cunlink: unknown command {command!r}\n\n{_usage()}")
        return 2
    module_name, keep_word, _ = COMMANDS[command]
    entry: Callable[[list[str]], int] = importlib.import_module(module_name).main
    try:
        return entry(args if keep_word else args[1:])
    except KeyboardInterrupt:
        return 130
