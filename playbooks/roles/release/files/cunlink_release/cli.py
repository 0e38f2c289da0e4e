"""The command line: one JSON object on stdout per command, the exit code says what happened."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cunlink_release.errors import EXIT_ERROR, EXIT_OK, DeferredError, ReleaseError, log
from cunlink_release.layout import Layout, link_version
from cunlink_release.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cunlink_release",
        description="Device side of cunlink rollouts: fetch (resumable, signed), stage, switch "
        "(atomic, window- and session-aware), verify (self-test or roll back), rollback.",
    )
    parser.add_argument("--root", type=Path, required=True, help="install root (holds releases/, current)")
    parser.add_argument("--settings", type=Path, help="settings JSON (default ROOT/etc/release.json)")
    parser.add_argument(
        "--public-key", type=Path, action="append", help="trusted Ed25519 key (PEM); repeatable"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch", help="phase 1: download and verify a signed artifact into staging")
    p.add_argument("--version", required=True)
    p.add_argument("--url", help="base URL holding <name>-<version>.{tar.gz,manifest.json,manifest.json.sig}")
    p.add_argument("--unpack", action="store_true", help="also unpack into releases/ (see stage)")

    p = sub.add_parser(
        "stage", help="unpack a fetched artifact into releases/<version> (nothing live changes)"
    )
    p.add_argument("--version", required=True)

    for name, text in (
        ("switch", "phase 2: move current to a staged release (atomic)"),
        ("activate", "phase 2 in one step: switch, restart, verify or roll back"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--version", required=True)
        p.add_argument("--force", action="store_true", help="allow a version that failed here before")
        p.add_argument("--ignore-window", action="store_true", help="switch outside the maintenance window")
        p.add_argument("--ignore-session", action="store_true", help="switch during a villager session")
        if name == "activate":
            p.add_argument("--deadline", type=float, help="seconds to become healthy (default from settings)")
            p.add_argument(
                "--fetch",
                action="store_true",
                help="fetch (phase 1) first, in the same run: one process per wave",
            )
            p.add_argument("--url", help="base URL for --fetch (default from settings)")

    p = sub.add_parser("verify", help="finish a pending switch: confirm when healthy, else roll back")
    p.add_argument("--deadline", type=float, help="seconds after the switch to become healthy")
    p.add_argument("--no-wait", action="store_true", help="exit at once when another command holds the tree")

    sub.add_parser("selftest", help="run the current release's checks once; change nothing")
    sub.add_parser("confirm", help="mark the pending switch healthy without checks")
    p = sub.add_parser("rollback", help="switch current back to the previous good release")
    p.add_argument("--to", help="a specific release on this device")
    sub.add_parser("status", help="print the install root's state")
    sub.add_parser("init", help="create the tree; write settings, keys, secrets (JSON on stdin)")
    return parser


def run(argv: Sequence[str]) -> tuple[dict[str, Any], int]:
    """Parse ``argv`` and run the command. Modules are imported per command, so that a
    command pays only for what it uses (cryptography, urllib, tarfile): the tool starts
    once per device per wave, and the controller waits for it."""
    args = build_parser().parse_args(argv)
    layout = Layout(args.root.absolute())
    command: str = args.command
    if command == "init":
        from cunlink_release.install import init

        try:
            payload = json.load(sys.stdin)
        except ValueError as exc:
            msg = f"init: stdin is not JSON: {exc}"
            raise ReleaseError(msg, "usage") from None
        return init(layout, payload), EXIT_OK
    settings = Settings.load(args.settings or layout.settings_file)
    if args.public_key:
        settings = dataclasses.replace(settings, public_keys=tuple(args.public_key))
    if command == "fetch":
        from cunlink_release.download import fetch
        from cunlink_release.releases import stage

        result = fetch(layout, settings, args.version, args.url)
        if args.unpack:
            result["stage"] = stage(layout, settings, args.version)["result"]
        return result, EXIT_OK
    if command == "stage":
        from cunlink_release.releases import stage

        return stage(layout, settings, args.version), EXIT_OK
    if command in ("switch", "activate"):
        return _switch_or_activate(layout, settings, args)
    from cunlink_release import activate as phase2

    if command == "verify":
        deadline = args.deadline if args.deadline is not None else settings.verify_deadline
        return phase2.verify(layout, settings, deadline, wait=not args.no_wait)
    if command == "selftest":
        from cunlink_release.hooks import health_checks

        version = link_version(layout, layout.current)
        if version is None:
            return {"result": "no-current"}, EXIT_ERROR
        problem = health_checks(layout, settings, version)
        return {
            "result": "healthy" if problem is None else "unhealthy",
            "version": version,
            "problem": problem,
        }, (EXIT_OK if problem is None else EXIT_ERROR)
    if command == "confirm":
        return phase2.confirm(layout, settings), EXIT_OK
    if command == "rollback":
        return phase2.rollback(layout, settings, args.to), EXIT_OK
    return phase2.status(layout, settings), EXIT_OK


def _switch_or_activate(
    layout: Layout, settings: Settings, args: argparse.Namespace
) -> tuple[dict[str, Any], int]:
    from cunlink_release import activate as phase2

    flags = {"force": args.force, "ignore_window": args.ignore_window, "ignore_session": args.ignore_session}
    if args.command == "switch":
        return phase2.switch(layout, settings, args.version, **flags), EXIT_OK
    deadline = args.deadline if args.deadline is not None else settings.verify_deadline
    if not args.fetch:
        return phase2.activate(layout, settings, args.version, deadline, **flags)
    from cunlink_release.download import fetch_verified

    try:
        fetched, manifest = fetch_verified(layout, settings, args.version, args.url)
    except ReleaseError as exc:
        # The hub judges a failed download (65 refused, 69 resumable) as a fetch, not a switch.
        exc.step = "fetch"
        raise
    verdict, code = phase2.activate(layout, settings, args.version, deadline, manifest=manifest, **flags)
    verdict["fetch"] = fetched
    return verdict, code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        result, code = run(sys.argv[1:] if argv is None else argv)
    except ReleaseError as exc:
        log(str(exc))
        result = {"result": "error", "reason": exc.reason, "message": str(exc)}
        if exc.step:
            result["step"] = exc.step
        if isinstance(exc, DeferredError):
            result["result"] = "deferred"
        code = exc.exit_code
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return code
