"""The demo's stand-in SMS gateway: receives the hub's help-call notices and shows them.

In a deployment ``helpcalls.webhook_url`` points at an SMS gateway or a work-chat bot. The
demo has neither, so it runs this receiver: every notice is printed (one line, as the cadre's
phone would show it) and appended to a JSON-lines file, and answered 200 so the hub marks it
delivered. Repeated deliveries of one notice (the hub retries with the same
``Idempotency-Key``) are shown once.

    python -m cunlink.demo_notify --host 127.0.0.1 --port 8088 --log notices.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aiohttp import web

LOG: web.AppKey[Path] = web.AppKey("log", Path)
SEEN: web.AppKey[set[str]] = web.AppKey("seen", set)


async def receive(request: web.Request) -> web.Response:
    """One notice: show it once, keep it, answer 200 (or 400 for what is not a notice)."""
    try:
        notice = await request.json()
        to, text = notice["to"], notice["text"]
        line = f"SMS to {to['name']} ({to['phone']}): {text}"
    except (ValueError, KeyError, TypeError) as exc:
        return web.json_response({"error": f"not a help-call notice: {exc!r}"}, status=400)
    key = request.headers.get("Idempotency-Key", "")
    seen = request.app[SEEN]
    if not key or key not in seen:
        seen.add(key)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        with request.app[LOG].open("a", encoding="utf-8") as out:
            out.write(json.dumps({"key": key, **notice}, ensure_ascii=False) + "\n")
    return web.json_response({"ok": True})


def make_app(log: Path) -> web.Application:
    """The receiver as an aiohttp app (tests run it on a free port)."""
    app = web.Application()
    app[LOG] = log
    app[SEEN] = set()
    app.router.add_post("/notify", receive)
    return app


def main(argv: list[str] | None = None) -> int:
    """Entry point (``python -m cunlink.demo_notify``)."""
    parser = argparse.ArgumentParser(prog="cunlink.demo_notify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True, help="JSON-lines file of every notice")
    args = parser.parse_args(argv)
    web.run_app(make_app(args.log), host=args.host, port=args.port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
