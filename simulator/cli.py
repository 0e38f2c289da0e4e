"""``cunlink fleet ...`` and ``cunlink sim ...``.

The ``cunlink`` console script passes the argv that starts with ``fleet`` or
``sim`` to :func:`main`; ``python -m simulator.cli`` works the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from contract.fleet import DEVICE_KINDS, FleetError, dump_fleet, load_fleet
from simulator.agent_config import AgentSettings, build_agent_config, dump_agent_config
from simulator.clock import SimClock
from simulator.faults import FAULTS
from simulator.fleet_gen import DEFAULT_GNBS, DEFAULT_KIOSKS, DEFAULT_SEED, generate_fleet
from simulator.loadgen import run_load
from simulator.registry import select_devices
from simulator.server import SimOptions, Simulator, write_ready_file
from simulator.v2c_agent import DEFAULT_MAX_MSG_SIZE
from simulator.v3_agent import AUTH_PROTOCOLS, V3User

log = logging.getLogger("simulator")

_SIM_EPILOG = """\
examples:
  cunlink sim --fleet fleet.yaml --devices 20 --port 0 --ready-file sim.json
  snmpget -v2c -c public@gnb-0001 127.0.0.1:16100 1.3.6.1.2.1.1.3.0
  cunlink sim --devices 5 --v3-port 16101
  snmpget -v3 -l authPriv -u simuser -a SHA -A authpass123 -x AES -X privpass123 \\
          -n gnb-0001 127.0.0.1:16101 1.3.6.1.2.1.1.3.0
  cunlink sim fault gnb-0001 link_down -p ifindex=1
  cunlink sim fault gnb-0001 --clear
  cunlink sim clock --freeze
"""


class CliError(Exception):
    """A user error: printed without a traceback, exit status 2."""


def _fleet_parser(sub: Any) -> None:
    fleet = sub.add_parser("fleet", help="generate or check a fleet inventory file")
    fsub = fleet.add_subparsers(dest="fleet_cmd", required=True, metavar="COMMAND")
    gen = fsub.add_parser("generate", help="write the deterministic synthetic Bazhong fleet")
    gen.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    gen.add_argument(
        "--out", default="fleet.yaml", help="output file, .yaml/.yml or .json (default %(default)s)"
    )
    gen.add_argument(
        "--gnbs", type=int, default=DEFAULT_GNBS, help="number of 5G base stations (default %(default)s)"
    )
    gen.add_argument(
        "--kiosks", type=int, default=DEFAULT_KIOSKS, help="villages with a kiosk (default %(default)s)"
    )
    check = fsub.add_parser("check", help="load and validate a fleet file, print a summary")
    check.add_argument("file")


def _sim_parser(sub: Any) -> None:
    sim = sub.add_parser(
        "sim",
        help="run the SNMP device simulator, or control a running one",
        description="Serve fleet devices over SNMP v2c (community <community>@<device>) and, with "
        "--v3-port, SNMPv3 (contextName <device>), on loopback, with an HTTP control API for faults.",
        epilog=_SIM_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = sim.add_argument_group("what to serve")
    what.add_argument("--fleet", default="fleet.yaml", help="fleet file (default %(default)s)")
    pick = what.add_mutually_exclusive_group()
    pick.add_argument(
        "--devices",
        type=int,
        metavar="N",
        help="the first N gNBs plus the UPSes of their sites and their townships' OLT uplinks",
    )
    pick.add_argument("--all", action="store_true", help="every device in the fleet (the default)")
    what.add_argument("--kinds", help=f"comma-separated kinds to keep: {','.join(DEVICE_KINDS)}")
    net = sim.add_argument_group("where")
    net.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    net.add_argument(
        "--port", type=int, default=16100, help="v2c UDP port, 0 = any free (default %(default)s)"
    )
    net.add_argument(
        "--port-per-device",
        action="store_true",
        help="one v2c socket per device (from --port upwards, or free ports if --port 0)",
    )
    net.add_argument(
        "--v3-port", type=int, help="serve SNMPv3 on this UDP port (0 = any free); off by default"
    )
    net.add_argument(
        "--control-port",
        type=int,
        default=16180,
        help="HTTP control API port, 0 = any free, -1 = off (default %(default)s)",
    )
    net.add_argument("--ready-file", help="write the bound ports here as JSON once serving")
    net.add_argument(
        "--trap-target",
        metavar="HOST:PORT",
        help="send SNMPv2c traps for link_down and power_cut faults here (community <community>@<device>)",
    )
    snmp = sim.add_argument_group("SNMP")
    snmp.add_argument(
        "--community", default="public", help="v2c community before '@device' (default %(default)s)"
    )
    snmp.add_argument(
        "--max-msg-size",
        type=int,
        default=DEFAULT_MAX_MSG_SIZE,
        help="largest v2c response in bytes (default %(default)s)",
    )
    snmp.add_argument("--v3-user", default="simuser", help="USM user name (default %(default)s)")
    snmp.add_argument("--v3-auth", default="SHA", choices=sorted(AUTH_PROTOCOLS), help="USM auth protocol")
    snmp.add_argument("--v3-auth-key", default="authpass123", help="USM auth pass phrase")
    snmp.add_argument("--v3-priv-key", default="privpass123", help="USM AES-128 privacy pass phrase")
    snmp.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    agent = sim.add_argument_group("edge agent config (--agent-config)")
    agent.add_argument(
        "--agent-config", metavar="OUT.yaml", help="write an edge-agent config for the served devices"
    )
    agent.add_argument(
        "--agent-auth", choices=["v2c", "v3"], default="v2c", help="protocol the agent should use"
    )
    agent.add_argument("--node-id", default="edge-sim-1")
    agent.add_argument("--mqtt-host", default="127.0.0.1")
    agent.add_argument("--mqtt-port", type=int, default=1883)
    agent.add_argument("--interval", type=int, default=15, help="poll interval in seconds")
    agent.add_argument(
        "--agent-per-county",
        action="store_true",
        help="write one agent config per county instead (OUT-<county code>.yaml, node id <node-id>-<code>), "
        "so that a whole city is polled by several agents in time",
    )
    sim.add_argument("--log-level", default="INFO", help="logging level (default %(default)s)")

    ssub = sim.add_subparsers(dest="sim_cmd", metavar="[COMMAND]")
    fault = ssub.add_parser("fault", help="inject or clear a fault in a running simulator")
    fault.add_argument("device")
    fault.add_argument("fault", nargs="?", choices=sorted(FAULTS), help="fault to inject (omit with --clear)")
    fault.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fault parameter, value parsed as JSON when it can be (repeatable)",
    )
    fault.add_argument("--clear", action="store_true", help="clear the device's faults (or just FAULT)")
    clock = ssub.add_parser("clock", help="freeze, unfreeze or advance a running simulator's clock")
    clock.add_argument("--freeze", action="store_true")
    clock.add_argument("--unfreeze", action="store_true")
    clock.add_argument("--advance", type=float, metavar="SECONDS")
    devices = ssub.add_parser("devices", help="list a running simulator's devices and their faults")
    bench = ssub.add_parser(
        "bench", help="GETBULK load against a running simulator; reports var-binds per CPU-s"
    )
    bench.add_argument("--seconds", type=float, default=5.0)
    bench.add_argument("--concurrency", type=int, default=16, help="concurrent walkers")
    bench.add_argument("--reps", type=int, default=25, help="GETBULK max-repetitions")
    bench.add_argument("--port", type=int, help="v2c port (default: from --ready-file)")
    for p in (fault, clock, devices, bench):
        p.add_argument(
            "--control", help="control API URL (default: from --ready-file, else http://127.0.0.1:16180)"
        )
        p.add_argument("--ready-file", help="read the ports from a simulator's ready file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cunlink", description="cunlink fleet inventory and SNMP simulator")
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    _fleet_parser(sub)
    _sim_parser(sub)
    return parser


def _fleet(args: argparse.Namespace) -> int:
    if args.fleet_cmd == "generate":
        fleet = generate_fleet(args.seed, gnbs=args.gnbs, kiosks=args.kiosks)
        dump_fleet(fleet, args.out)
        print(f"wrote {args.out}: {_summary(fleet)}")
        return 0
    fleet = load_fleet(args.file)
    print(f"{args.file}: ok, {_summary(fleet)}")
    return 0


def _summary(fleet: Any) -> str:
    kinds = Counter(d.kind for d in fleet.devices)
    return (
        f"{len(fleet.counties)} counties, {len(fleet.townships)} townships, {len(fleet.villages)} villages, "
        f"{len(fleet.sites)} sites, {kinds['gnb']} gnb, {kinds['olt_uplink']} olt_uplink, "
        f"{kinds['ups']} ups, "
        f"{len(fleet.kiosks)} kiosks"
    )


def _control_url(args: argparse.Namespace) -> str:
    if args.control:
        return str(args.control).rstrip("/")
    if args.ready_file:
        ready = json.loads(Path(args.ready_file).read_text("utf-8"))
        if not ready.get("control_port"):
            raise CliError(f"{args.ready_file}: the simulator has no control API")
        return f"http://{ready['host']}:{ready['control_port']}"
    return "http://127.0.0.1:16180"


def _param(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise CliError(f"bad --param {text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


async def _call(method: str, url: str, body: Any = None) -> Any:
    try:
        async with aiohttp.ClientSession() as session, session.request(method, url, json=body) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise CliError(f"{method} {url}: {resp.status} {data.get('error', data)}")
            return data
    except aiohttp.ClientError as exc:
        raise CliError(f"{method} {url}: {exc}") from None


def _control(args: argparse.Namespace) -> int:
    base = _control_url(args)
    if args.sim_cmd == "fault":
        if args.clear:
            query = f"?fault={args.fault}" if args.fault else ""
            result = asyncio.run(_call("DELETE", f"{base}/faults/{args.device}{query}"))
        else:
            if not args.fault:
                raise CliError("name a fault to inject, or pass --clear")
            body = {"device": args.device, "fault": args.fault, "params": dict(map(_param, args.param))}
            result = asyncio.run(_call("POST", f"{base}/faults", body))
    elif args.sim_cmd == "bench":
        result = asyncio.run(_bench(args, base))
    elif args.sim_cmd == "clock":
        if args.freeze and args.unfreeze:
            raise CliError("--freeze and --unfreeze exclude each other")
        body = {}
        if args.freeze or args.unfreeze:
            body["frozen"] = bool(args.freeze)
        if args.advance is not None:
            body["advance"] = args.advance
        result = asyncio.run(_call("POST" if body else "GET", f"{base}/clock", body or None))
    else:
        result = asyncio.run(_call("GET", f"{base}/devices"))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


async def _bench(args: argparse.Namespace, base: str) -> dict[str, Any]:
    port = args.port
    if port is None and args.ready_file:
        text = await asyncio.to_thread(Path(args.ready_file).read_text, "utf-8")
        port = json.loads(text).get("port")
    if not port:
        raise CliError("give --port or --ready-file of a simulator serving v2c on one port")
    devices = [d["id"] for d in await _call("GET", f"{base}/devices")]
    host = base.split("//", 1)[1].rsplit(":", 1)[0]
    result = await run_load(
        host,
        int(port),
        base,
        devices,
        seconds=args.seconds,
        concurrency=args.concurrency,
        max_repetitions=args.reps,
    )
    return result.as_dict()


def _sim_options(args: argparse.Namespace) -> SimOptions:
    user = V3User(name=args.v3_user, auth=args.v3_auth, auth_key=args.v3_auth_key, priv_key=args.v3_priv_key)
    if args.v3_port is not None and (len(user.auth_key) < 8 or len(user.priv_key) < 8):
        raise CliError("USM pass phrases must be at least 8 characters")
    if not 484 <= args.max_msg_size <= 65507:
        # RFC 3417: every SNMP entity must handle 484-byte messages; 65507 is the UDP limit.
        raise CliError("--max-msg-size must be between 484 and 65507")
    return SimOptions(
        host=args.host,
        port=args.port,
        v3_port=args.v3_port,
        control_port=None if args.control_port < 0 else args.control_port,
        community=args.community,
        v3_users=(user,),
        max_msg_size=args.max_msg_size,
        port_per_device=args.port_per_device,
        trap_target=_host_port(args.trap_target) if args.trap_target else None,
    )


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise CliError(f"bad --trap-target {text!r}: expected HOST:PORT")
    return host, int(port)


def _kinds(text: str | None) -> set[str] | None:
    if not text:
        return None
    kinds = {k.strip() for k in text.split(",") if k.strip()}
    unknown = kinds - set(DEVICE_KINDS)
    if unknown:
        raise CliError(f"unknown kinds: {', '.join(sorted(unknown))}")
    return kinds


async def _serve(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    wrote_ready = False
    try:
        kinds = _kinds(args.kinds)
        options = _sim_options(args)
        fleet = await asyncio.to_thread(load_fleet, args.fleet)
        chosen = select_devices(fleet, first_gnbs=None if args.all else args.devices, kinds=kinds)
        if not chosen:
            raise CliError("no devices selected")
        async with Simulator(fleet, chosen, options, SimClock(speed=args.speed)) as sim:
            ports = sim.ports
            if args.agent_config:
                settings = AgentSettings(
                    args.node_id, args.mqtt_host, args.mqtt_port, args.interval, args.agent_auth
                )
                config = build_agent_config(
                    sim.devices,
                    settings,
                    host=ports.host,
                    v2c_port=ports.v2c,
                    v3_port=ports.v3,
                    v3_user=options.v3_users[0],
                    device_ports=ports.devices,
                )
                if args.agent_per_county:
                    for code, part in _per_county(fleet, config).items():
                        out = Path(args.agent_config)
                        await asyncio.to_thread(
                            dump_agent_config, part, out.with_name(f"{out.stem}-{code}{out.suffix}")
                        )
                else:
                    await asyncio.to_thread(dump_agent_config, config, args.agent_config)
            # Last, so that a launcher polling for this file finds the agent config complete.
            if args.ready_file:
                await asyncio.to_thread(write_ready_file, args.ready_file, ports, len(sim.devices))
                wrote_ready = True
            print(
                f"cunlink sim: {len(sim.devices)} devices on {ports.host}: v2c {ports.v2c or 'per-device'}"
                f", v3 {ports.v3 or 'off'}, control {ports.control or 'off'}",
                flush=True,
            )
            async with asyncio.TaskGroup() as tg:
                tg.create_task(_log_stats(sim, stop))
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if wrote_ready:
            await asyncio.to_thread(Path(args.ready_file).unlink, missing_ok=True)
    log.info("stopped")
    return 0


def _per_county(fleet: Any, config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Split an agent config by the county of each target (an additive option for the demo)."""
    parts: dict[str, dict[str, Any]] = {}
    for target in config["targets"]:
        code = fleet.index.county_of(target["device"]).code
        part = parts.get(code)
        if part is None:
            part = parts[code] = {
                **config,
                "agent": {"node_id": f"{config['agent']['node_id']}-{code}"},
                "targets": [],
            }
        part["targets"].append(target)
    return parts


async def _log_stats(sim: Simulator, stop: asyncio.Event, every: float = 60.0) -> None:
    """Log packet counters every minute until ``stop`` is set (which ends the TaskGroup)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            log.info("stats %s", json.dumps(sim.stats()))


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``cunlink fleet ...`` and ``cunlink sim ...``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(args, "log_level", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.cmd == "fleet":
            return _fleet(args)
        if args.sim_cmd is not None:
            return _control(args)
        return asyncio.run(_serve(args))
    except (CliError, FleetError, ValueError, OSError) as exc:
        print(f"cunlink {args.cmd}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
