"""A pure-Python MQTT broker (amqtt) for demos on machines without Mosquitto. DEMO ONLY.

amqtt handles a few thousand messages per CPU-second (about 40x less than
Mosquitto), speaks MQTT 3.1.1 only and has had memory-growth reports; it is here
so that `cunlink demo` can run with nothing but pip. Production uses Mosquitto
(see playbooks/ and docs/).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

log = logging.getLogger("cunlink.embedded_broker")


async def serve(host: str, port: int) -> None:
    """Run the broker until SIGINT or SIGTERM."""
    from amqtt.broker import Broker

    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await broker.start()
    log.warning(
        "embedded amqtt broker on %s:%d is for DEMOS ONLY; install mosquitto for real use", host, port
    )
    await stop.wait()
    await broker.shutdown()


def main(argv: list[str] | None = None) -> int:
    """``python -m cunlink.embedded_broker --port N``."""
    parser = argparse.ArgumentParser(description="Demo-only embedded MQTT broker (amqtt).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
