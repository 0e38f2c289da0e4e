"""``cunlink demo``: the whole path on one machine, from simulated 5G sites to /metrics.

Starts an MQTT broker (Mosquitto when installed, otherwise a demo-only embedded
broker), the SNMP simulator, one edge agent, the hub and village kiosks, each as its
own process (the programs meet only over MQTT, as in production), prints the URLs,
and stops everything on Ctrl-C. A kiosk is a window when a display exists, else it
runs offscreen with scripted villagers.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from cunlink.supervisor import Supervisor, tail

PY = sys.executable


def _free_port(host: str, preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            chosen: int = sock.getsockname()[1]
            return chosen
    msg = "no free TCP port"
    raise RuntimeError(msg)


def _wait(what: str, ready: object, timeout: float, sup: Supervisor) -> None:
    deadline = time.monotonic() + timeout
    while not ready() if callable(ready) else False:
        if sup.dead():
            raise _ChildDiedError(sup)
        if time.monotonic() > deadline:
            msg = f"{what} was not ready after {timeout:.0f} s"
            raise TimeoutError(msg)
        time.sleep(0.2)


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class _ChildDiedError(RuntimeError):
    def __init__(self, sup: Supervisor) -> None:
        dead = sup.dead()
        parts = [
            f"{c.name} exited with {c.proc.returncode}; last lines of {c.log}:\n{tail(c.log)}" for c in dead
        ]
        super().__init__("\n".join(parts))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cunlink demo",
        description="Run broker, SNMP simulator, edge agent and hub on this machine and show live "
        "metrics of simulated Bazhong base stations. Ctrl-C stops everything.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--devices", type=int, default=50, help="base stations to simulate (default 50)")
    size.add_argument("--all", action="store_true", help="simulate the whole fleet (3,131 base stations)")
    parser.add_argument("--workdir", type=Path, default=Path("demo-run"), help="fleet, configs and logs")
    parser.add_argument("--http-port", type=int, default=8080, help="hub HTTP port (next free one if taken)")
    parser.add_argument("--mqtt-port", type=int, default=1883, help="broker port (next free one if taken)")
    parser.add_argument(
        "--prometheus-port",
        type=int,
        default=9090,
        help="Prometheus port, when installed (next free one if taken)",
    )
    parser.add_argument("--interval", type=int, default=15, help="SNMP poll interval in seconds")
    parser.add_argument(
        "--broker",
        choices=("auto", "mosquitto", "embedded"),
        default="auto",
        help="auto: Mosquitto when installed, else the demo-only embedded broker",
    )
    parser.add_argument("--seed", type=int, default=2026, help="fleet generator seed")
    parser.add_argument(
        "--duration", type=float, default=0, help="stop by itself after N seconds (0: run until Ctrl-C)"
    )
    parser.add_argument(
        "--kiosks",
        type=int,
        default=1,
        help="village kiosks to run (default 1): windows with a display, scripted villagers without",
    )
    parser.add_argument("--no-kiosk", action="store_true", help="run no kiosk")
    return parser


def _start_kiosks(args: argparse.Namespace, sup: Supervisor, fleet: Path, host: str, port: int) -> str:
    """Start the demo's kiosks (kiosk/democonfig.py writes their configs); say what ran."""
    count = 0 if args.no_kiosk else max(0, args.kiosks)
    if count == 0:
        return "none"
    if importlib.util.find_spec("PySide6") is None:
        return "none: PySide6 is not installed (pip install 'cunlink[kiosk]')"
    from kiosk.democonfig import has_display, write_configs

    window = has_display()
    configs = write_configs(fleet, args.workdir / "kiosks", count, host, port, simulated=not window)
    env = dict(os.environ) if window else {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    mode = ["--windowed"] if window else ["--simulate"]
    for conf in configs:
        sup.start(conf.stem, [PY, "-m", "cunlink", "kiosk", "--config", str(conf), *mode], env=env)
    how = "window" if window else "offscreen, scripted villagers"
    return f"{count} ({how}); configs in {configs[0].parent}"


def _start_broker(args: argparse.Namespace, sup: Supervisor, port: int) -> str:
    mosquitto = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if args.broker == "mosquitto" and mosquitto is None:
        msg = "mosquitto is not installed (sudo apt-get install mosquitto), or use --broker embedded"
        raise RuntimeError(msg)
    if args.broker != "embedded" and mosquitto is not None:
        conf = args.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\n"
        )
        sup.start("mosquitto", [mosquitto, "-c", str(conf)])
        return "mosquitto"
    sup.start("broker", [PY, "-m", "cunlink.embedded_broker", "--port", str(port)])
    sys.stderr.write("demo: Mosquitto is not installed; using the embedded amqtt broker (DEMO ONLY)\n")
    return "embedded amqtt (demo only)"


DASHBOARDS = Path(__file__).resolve().parents[1] / "dashboards"


def _start_prometheus(sup: Supervisor, work: Path, host: str, hub_port: int, preferred: int) -> str | None:
    """Prometheus with dashboards/prometheus.yml and its rules, scraping the demo's hub, when installed."""
    prometheus = shutil.which("prometheus")
    config = DASHBOARDS / "prometheus.yml"
    if prometheus is None or not config.exists():
        return None
    port = _free_port(host, preferred)
    text = (
        config.read_text()
        .replace("127.0.0.1:8780", f"{host}:{hub_port}")
        # The whole city on two cores (simulator, five agents, hub) makes a ~180k-series render slow:
        # give the demo's scrapes time rather than have them time out.
        .replace("scrape_interval: 15s", "scrape_interval: 30s")
        .replace("scrape_timeout: 10s", "scrape_timeout: 25s")
    )
    text = text.replace("rules/", f"{DASHBOARDS}/rules/")
    (work / "prometheus.yml").write_text(text)
    sup.start(
        "prometheus",
        [
            prometheus,
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'prometheus-data'}",
            f"--web.listen-address={host}:{port}",
            "--log.level=warn",
        ],
    )
    return f"http://{host}:{port}"


def hub_config(roster: Path, token: Path, webhook: str) -> str:
    """The demo hub's config: an admin API token (to create the demo's console account), and
    help calls going to the duty roster and the stand-in SMS gateway."""
    return (
        "# Written by cunlink demo.\n"
        "api:\n  tokens:\n"
        f"    - {{name: demo-admin, role: admin, token: {json.dumps('file:' + str(token))}}}\n"
        f"helpcalls:\n  roster: {json.dumps(str(roster))}\n  webhook_url: {json.dumps(webhook)}\n"
    )


def _help_desk(sup: Supervisor, work: Path, host: str) -> Path:
    """Duty roster and a stand-in SMS gateway, so one-key help calls reach a (demo) cadre.

    Returns the hub config that points at both. The roster is copied once into the workdir,
    where it can be edited (it matches the villages of ``--seed 2026``).
    """
    roster = work / "duty-roster.yaml"
    if not roster.exists():
        example = Path(__file__).resolve().parents[1] / "hub" / "helpcalls" / "roster.example.yaml"
        shutil.copyfile(example, roster)
    port, notices = _free_port(host, 0), work / "notices.jsonl"
    sup.start(
        "sms-gateway",
        [PY, "-m", "cunlink.demo_notify", "--host", host, "--port", str(port), "--log", str(notices)],
    )
    _wait("SMS gateway stand-in", lambda: _tcp_open(host, port), 20, sup)
    token = work / "admin-token"
    if not token.exists():
        token.touch(mode=0o600)
        token.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    conf = work / "hub.yaml"
    conf.write_text(hub_config(roster, token, f"http://{host}:{port}/notify"), encoding="utf-8")
    return conf


def _console_account(work: Path, hub_url: str) -> str:
    """A dispatcher account for the demo's console; returns how to sign in."""
    password = secrets.token_urlsafe(12)
    body = {"username": "demo", "name": "演示调度员", "department": "dispatch", "role": "dispatcher"}
    request = urllib.request.Request(  # noqa: S310 - our own hub on loopback, http:
        f"{hub_url}/api/v1/staff",
        data=json.dumps({**body, "password": password}).encode(),
        headers={
            "Authorization": f"Bearer {(work / 'admin-token').read_text(encoding='utf-8').strip()}",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own hub on loopback
        answer.read()
    return f"user demo, password {password}"


def run(args: argparse.Namespace, sup: Supervisor) -> int:
    """Start everything, print where to look, and wait."""
    work: Path = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    args.workdir = work
    fleet = work / "fleet.yaml"
    if not fleet.exists():
        gen = sup.start(
            "fleet", [PY, "-m", "cunlink", "fleet", "generate", "--seed", str(args.seed), "--out", str(fleet)]
        )
        if gen.proc.wait() != 0:
            raise _ChildDiedError(sup)
        sup.children.remove(gen)

    host = "127.0.0.1"
    mqtt_port = _free_port(host, args.mqtt_port)
    http_port = _free_port(host, args.http_port)
    broker = _start_broker(args, sup, mqtt_port)
    _wait("MQTT broker", lambda: _tcp_open(host, mqtt_port), 20, sup)

    ready = work / "sim-ready.json"
    ready.unlink(missing_ok=True)
    agent_conf = work / "edge-agent.yaml"
    size = ["--all"] if args.all else ["--devices", str(args.devices)]
    sup.start(
        "simulator",
        [
            PY,
            "-m",
            "cunlink",
            "sim",
            "--fleet",
            str(fleet),
            *size,
            "--host",
            host,
            "--port",
            "0",
            "--control-port",
            # 0: the simulator binds a free port and names it in the ready file, so two demos
            # on one machine never race for the same port.
            "0",
            "--ready-file",
            str(ready),
            "--agent-config",
            str(agent_conf),
            "--mqtt-host",
            host,
            "--mqtt-port",
            str(mqtt_port),
            "--interval",
            str(args.interval),
            "--node-id",
            "edge-demo-1",
            # One agent polling 3,131 gNBs falls behind its interval: --all runs one per county.
            *(["--agent-per-county"] if args.all else []),
        ],
    )
    _wait("SNMP simulator", ready.exists, 120, sup)

    hub_conf = _help_desk(sup, work, host)
    sup.start(
        "hub",
        [
            PY,
            "-m",
            "cunlink",
            "hub",
            "--config",
            str(hub_conf),
            "--mqtt-host",
            host,
            "--mqtt-port",
            str(mqtt_port),
            "--http-host",
            host,
            "--http-port",
            str(http_port),
            # Coverage and maps need the fleet file; inventory and alarms live in the workdir.
            "--fleet",
            str(fleet),
            "--data-dir",
            str(work / "hub-data"),
        ],
    )
    hub_url = f"http://{host}:{http_port}"
    _wait("hub", lambda: _tcp_open(host, http_port), 30, sup)
    # The agent keeps its bdSeq across restarts in a state file; keep the demo's inside its workdir.
    state = {**os.environ, "STATE_DIRECTORY": str(work / "state")}
    configs = sorted(work.glob("edge-agent-*.yaml")) if args.all else [agent_conf]
    for conf in configs:
        name = "edge-agent" if conf == agent_conf else conf.stem
        sup.start(name, [PY, "-m", "cunlink", "edge", "--config", str(conf)], env=state)
    account = _console_account(work, hub_url)
    prom_url = _start_prometheus(sup, work, host, http_port, args.prometheus_port)
    kiosks = _start_kiosks(args, sup, fleet, host, mqtt_port)

    info = json.loads(ready.read_text())
    sys.stdout.write(
        "\ncunlink demo is running (Ctrl-C stops everything)\n"
        f"  hub metrics     {hub_url}/metrics\n"
        f"  hub health      {hub_url}/healthz\n"
        f"  MQTT broker     mqtt://{host}:{mqtt_port}  ({broker})\n"
        f"                  watch it: mosquitto_sub -p {mqtt_port} -t 'cl/v1/#' -v\n"
        f"  SNMP simulator  udp://{host}:{info.get('port')}  community public@<device>; "
        f"faults: http://{host}:{info.get('control_port')}/devices\n"
        + (f"  Prometheus      {prom_url}  (rules and alerts from dashboards/)\n" if prom_url else "")
        + f"  kiosks          {kiosks}\n"
        + f"  console         {hub_url}/console/  ({account}); help calls: /console/helpcalls\n"
        + f"  SMS to cadres   {work / 'notices.jsonl'}  (stand-in gateway)\n"
        + f"  duty roster     {work / 'duty-roster.yaml'}\n"
        + f"  logs            {sup.logdir}\n\n"
    )
    sys.stdout.flush()
    deadline = time.monotonic() + args.duration if args.duration else None
    while deadline is None or time.monotonic() < deadline:
        if sup.dead():
            raise _ChildDiedError(sup)
        time.sleep(0.5)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cunlink demo``."""
    args = _parser().parse_args(argv)
    sup = Supervisor(args.workdir.resolve() / "logs")

    def _stop(signum: int, frame: FrameType | None) -> None:
        del frame
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, _stop)
    # A shell without job control starts background commands with SIGINT ignored, and Python
    # then never raises KeyboardInterrupt: the demo would outlive the SIGINT meant to stop it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return run(args, sup)
    except KeyboardInterrupt:
        sys.stdout.write("\ndemo: stopping...\n")
        return 0
    except (RuntimeError, TimeoutError) as exc:
        sys.stderr.write(f"demo: {exc}\n")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sup.stop_all()
        sys.stdout.write("demo: all processes stopped\n")
