"""``cunlink rollout create|status|pause|resume|abort|revert``: a small client of the hub's REST API.

Talks HTTP with a bearer token (``--token`` or ``CUNLINK_TOKEN``) to ``--url`` (or
``CUNLINK_HUB_URL``). ``status --follow`` redraws a progress bar per device every second
(well within the 2 s of each event the issue asks for) until the rollout stops.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any, TextIO

#: Fill of a device's bar by status: how far along the two-phase install it is.
PROGRESS = {
    "pending": 0.0,
    "deferred": 0.0,
    "running": 0.4,
    "verifying": 0.6,
    "switched": 0.8,
    "done": 1.0,
    "failed": 1.0,
    "reverted": 1.0,
}
MARK = {"done": "✔", "failed": "✘", "reverted": "↩", "deferred": "…"}
FOLLOW_INTERVAL_S = 1.0
BAR = 20


class ClientError(Exception):
    pass


def call(url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    if not url.startswith(("http://", "https://")):
        raise ClientError(f"--url must be http(s): {url}")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url.rstrip("/") + path, data=data, method=method)  # noqa: S310 (checked above)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (URL is the operator's)
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            error = exc.reason
        raise ClientError(f"{method} {path}: {exc.code} {error}") from None
    except urllib.error.URLError as exc:
        raise ClientError(f"cannot reach {url}: {exc.reason}") from None


def render(status: dict[str, Any], out: TextIO, *, tty: bool) -> None:
    """One screen: the rollout's line, counts, then a bar per device."""
    lines = [
        f"rollout {status['id']}  {status['spec']['version']}  {status['state']}"
        f"  wave {status['wave'] + 1}/{status['waves']}  {status['reason']}".rstrip(),
        "  " + "  ".join(f"{k} {v}" for k, v in sorted(status["counts"].items())),
    ]
    for dev in status.get("devices", []):
        fill = round(PROGRESS.get(dev["status"], 0.0) * BAR)
        bar = "#" * fill + "-" * (BAR - fill)
        mark = MARK.get(dev["status"], " ")
        online = "online " if dev["online"] else "offline"
        lines.append(
            f"  {dev['host']:<20} [{bar}] {mark} {dev['status']:<9} {online} w{dev['wave'] + 1}"
            f"  {dev['detail'][:60]}"
        )
    if tty:
        out.write("\x1b[H\x1b[2J")
    out.write("\n".join(lines) + "\n")
    out.flush()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cunlink rollout", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("CUNLINK_HUB_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--token", default=os.environ.get("CUNLINK_TOKEN", ""))
    # The same options after the command word too; SUPPRESS keeps the values given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=argparse.SUPPRESS, help="hub URL (CUNLINK_HUB_URL)")
    common.add_argument("--token", default=argparse.SUPPRESS, help="API token (CUNLINK_TOKEN)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create", help="start a rollout", parents=[common])
    p.add_argument("version")
    p.add_argument("--group", default="kiosks:edge_agents", help="inventory groups, ':'-separated")
    p.add_argument("--hosts", default="", help="comma-separated host globs (default: the whole group)")
    p.add_argument("--waves", default="5,10%,50%,100%", help="comma-separated counts or percentages")
    p.add_argument("--soak", type=float, default=60.0, help="seconds to watch a settled wave")
    p.add_argument("--verify-timeout", type=float, default=300.0, help="seconds for the BIRTH to confirm")
    p.add_argument("--success-percent", type=float, default=95.0)
    p.add_argument("--max-failures", type=int, default=0)
    p.add_argument("--max-failure-percent", type=float, default=100.0)
    p.add_argument("--ignore-window", action="store_true")
    p = sub.add_parser("status", help="show a rollout (all rollouts without an id)", parents=[common])
    p.add_argument("id", nargs="?")
    p.add_argument("--follow", action="store_true", help="redraw until the rollout stops")
    for name in ("pause", "resume", "abort", "revert"):
        sub.add_parser(name, help=f"{name} a rollout", parents=[common]).add_argument("id")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.token:
        sys.stderr.write("cunlink rollout: pass --token or set CUNLINK_TOKEN\n")
        return 2
    try:
        return _run(args)
    except ClientError as exc:
        sys.stderr.write(f"cunlink rollout: {exc}\n")
        return 1


def _run(args: argparse.Namespace) -> int:
    url, token = args.url, args.token
    if args.command == "create":
        body = {
            "version": args.version,
            "group": args.group,
            "hosts": [h for h in args.hosts.split(",") if h],
            "waves": args.waves.split(","),
            "soak_s": args.soak,
            "verify_timeout_s": args.verify_timeout,
            "success_percent": args.success_percent,
            "max_failures": args.max_failures,
            "max_failure_percent": args.max_failure_percent,
            "ignore_window": args.ignore_window,
        }
        created = call(url, token, "POST", "/api/v1/rollouts", body)
        sys.stdout.write(f"{created['id']}\n")
        return 0
    if args.command == "status":
        if args.id is None:
            for r in call(url, token, "GET", "/api/v1/rollouts"):
                sys.stdout.write(f"{r['id']}  {r['spec']['version']:<12} {r['state']:<9} {r['reason']}\n")
            return 0
        tty = sys.stdout.isatty()
        while True:
            status = call(url, token, "GET", f"/api/v1/rollouts/{args.id}")
            render(status, sys.stdout, tty=tty)
            if not args.follow or status["state"] not in ("running", "paused"):
                return 0
            time.sleep(FOLLOW_INTERVAL_S)
    result = call(url, token, "POST", f"/api/v1/rollouts/{args.id}/{args.command}")
    sys.stdout.write(f"{result['id']}  {result['state']}  {result['reason']}\n")
    return 0
