"""``cunlink validate-config FILE``: check any cunlink config file and print it with secrets masked."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from contract.configfile import ConfigError, read_yaml

# kind -> module providing validate_config_file(path) -> str, and top-level keys that identify it
KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "edge": ("edge_agent.config", frozenset({"targets", "auths", "poll"})),
    "hub": ("hub.config", frozenset({"http", "metrics", "hub_id", "helpcalls"})),
    "kiosk": ("kiosk.config", frozenset({"kiosk", "ui"})),
}


def detect_kind(path: Path) -> str:
    """Which program a config file belongs to, from its top-level keys."""
    data = read_yaml(path)
    keys = set(data) if isinstance(data, dict) else set()
    for kind, (_, marks) in KINDS.items():
        if keys & marks:
            return kind
    msg = f"{path}: cannot tell which program this config is for; pass --kind {'|'.join(KINDS)}"
    raise ConfigError(msg)


def main(argv: list[str] | None = None) -> int:
    """Validate one config file; exit 0 when valid, 2 with file:line:key errors when not."""
    parser = argparse.ArgumentParser(
        prog="cunlink validate-config",
        description="Check a cunlink config file (edge agent, hub or kiosk). Errors name the file, "
        "line and key; a valid file is printed back with defaults filled in and secrets masked.",
    )
    parser.add_argument("file", type=Path, help="the YAML config file")
    parser.add_argument(
        "--kind", choices=sorted(KINDS), help="which program the file is for (default: detect)"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing when the file is valid")
    args = parser.parse_args(argv)
    try:
        kind = args.kind or detect_kind(args.file)
        module = importlib.import_module(KINDS[kind][0])
        check: Callable[[Path], str] = module.validate_config_file
        rendered = check(args.file)
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except ModuleNotFoundError as exc:
        sys.stderr.write(f"cunlink validate-config: {kind} support is not installed ({exc.name})\n")
        return 2
    if not args.quiet:
        sys.stdout.write(f"# {args.file}: valid {kind} config\n{rendered}")
    return 0
