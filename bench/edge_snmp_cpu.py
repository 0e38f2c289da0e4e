"""CPU per polled OID, side by side in one run: the edge agent, snmp_exporter 0.21, snmpbulkwalk, pysnmp.

Every client walks the same IF-MIB subtrees (1.3.6.1.2.1.2 and 1.3.6.1.2.1.31.1.1,
what snmp_exporter's if_mib module walks) of the same agent: a net-snmp snmpd on
loopback (or the simulator with --sim). CPU is each client's own process time:

* edge agent: ``time.process_time()`` of this process around N walks (own v2c codec,
  the agent's Walker), and around N full agent cycles of the ``system`` + ``if_mib``
  modules (GET, walks, lookups, conversion to contract samples), OIDs = var-binds received;
* snmp_exporter: utime + stime of its process (/proc) around N scrapes of
  ``/snmp?module=if_mib``, OIDs = its own ``snmp_scrape_pdus_returned``;
* snmpbulkwalk: children's rusage around N pairs of walks (process start-up included,
  which is how a script would use it), and once for a single walk of all of MIB-2;
* pysnmp 7 v3arch ``bulk_cmd`` through the agent's Walker (v2c and v3 authPriv), for reference.

    .venv/bin/python bench/edge_snmp_cpu.py [--rounds 200] [--sim]

Needs Debian's prometheus-snmp-exporter, snmpd and snmp. Prints a table and the
ratio of the agent's CPU per OID to snmp_exporter's (goal: at most 3).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from edge_agent.auths import AuthConfig  # noqa: E402
from edge_agent.collect import DeviceCollector  # noqa: E402
from edge_agent.modules import load_modules  # noqa: E402
from edge_agent.snmp import pysnmp_transport  # noqa: E402
from edge_agent.snmp.transport import SnmpTransport  # noqa: E402
from edge_agent.snmp.v2c import UdpDispatcher, V2cTransport  # noqa: E402
from edge_agent.snmp.walk import Walker  # noqa: E402
from tests.support.ports import free_port, wait_tcp  # noqa: E402
from tests.support.services import Process, Snmpd  # noqa: E402

SUBTREES = ["1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1"]
EXPORTER_MODULE = ROOT / "tests" / "edge_agent" / "fixtures" / "snmp_exporter_0.21_if_mib.yml"
TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def walk_cpu(transport: SnmpTransport, rounds: int) -> tuple[float, int]:
    """CPU seconds and OIDs for ``rounds`` walks of SUBTREES (one walker, as the agent keeps it)."""
    walker = Walker(transport, max_repetitions=25, concurrency=1)
    await walker.walk(SUBTREES)  # warm-up: row counts learned, caches filled
    oids = 0
    start = time.process_time()
    for _ in range(rounds):
        results = await walker.walk(SUBTREES)
        oids += sum(len(r) for r in results.values() if isinstance(r, list))
    return time.process_time() - start, oids


async def cycle_cpu(transport: SnmpTransport, rounds: int) -> tuple[float, int]:
    """CPU seconds and var-binds for ``rounds`` full agent cycles of system + if_mib."""
    modules = load_modules(["system", "if_mib"])
    collector = DeviceCollector([modules["system"], modules["if_mib"]], Walker(transport, concurrency=1))
    await collector.poll(time.time())
    before = transport.stats.varbinds
    start = time.process_time()
    for n in range(rounds):
        await collector.poll(time.time() + n)
    return time.process_time() - start, transport.stats.varbinds - before


def exporter_cpu(host: str, port: int, rounds: int, community: str) -> tuple[float, int]:
    exe = shutil.which("prometheus-snmp-exporter")
    if exe is None:
        sys.exit("prometheus-snmp-exporter is not installed (apt-get install prometheus-snmp-exporter)")
    work = Path(tempfile.mkdtemp(prefix="edge-bench-"))
    config = work / "snmp.yml"
    text = EXPORTER_MODULE.read_text()
    if community != "public":
        text = text.replace("if_mib:\n", f"if_mib:\n  auth:\n    community: {community}\n", 1)
    config.write_text(text)
    web = free_port()
    process = Process(
        [exe, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{web}", "--log.level=warn"],
        work / "exporter.log",
    )
    process.start()
    assert process.proc is not None
    try:
        wait_tcp("127.0.0.1", web, 15)
        url = f"http://127.0.0.1:{web}/snmp?target={host}:{port}&module=if_mib"

        def scrape() -> int:
            with urllib.request.urlopen(url, timeout=30) as resp:
                body = resp.read().decode()
            found = re.search(r"^snmp_scrape_pdus_returned (\S+)$", body, re.M)
            return int(float(found.group(1))) if found else 0

        scrape()
        oids = 0
        start = proc_cpu(process.proc.pid)
        for _ in range(rounds):
            oids += scrape()
        return proc_cpu(process.proc.pid) - start, oids
    finally:
        process.stop()


def bulkwalk_cpu(host: str, port: int, rounds: int, community: str, subtrees: list[str]) -> tuple[float, int]:
    exe = shutil.which("snmpbulkwalk")
    assert exe is not None, "snmpbulkwalk (Debian package snmp) is missing"
    env = dict(os.environ, MIBS="")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    oids = 0
    for _ in range(rounds):
        for subtree in subtrees:
            out = subprocess.run(
                [exe, "-v2c", "-c", community, "-Cr25", "-On", f"{host}:{port}", subtree],
                capture_output=True, text=True, check=True, env=env,
            ).stdout  # fmt: skip
            oids += len(out.splitlines())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), oids


async def agent_side(
    host: str, port: int, rounds: int, community: str, v3: AuthConfig | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dispatcher = await UdpDispatcher.open()
    own = V2cTransport(dispatcher, address=host, port=port, community=community)
    out["edge agent: walk (own v2c codec)"] = await walk_cpu(own, rounds)
    out["edge agent: full cycle system+if_mib"] = await cycle_cpu(own, rounds)
    engine = pysnmp_transport.new_engine()
    try:
        auth = AuthConfig(version="2c", community=SecretStr(community))
        pysnmp_v2c = pysnmp_transport.PysnmpTransport(engine, address=host, port=port, auth=auth)
        out["pysnmp 7 v3arch, v2c (reference)"] = await walk_cpu(pysnmp_v2c, max(5, rounds // 10))
        if v3 is not None:
            pysnmp_v3 = pysnmp_transport.PysnmpTransport(engine, address=host, port=port, auth=v3)
            out["edge agent: walk, v3 authPriv SHA/AES (pysnmp)"] = await walk_cpu(
                pysnmp_v3, max(5, rounds // 10)
            )
    finally:
        pysnmp_transport.close_engine(engine)
        dispatcher.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200, help="walks per client (default 200)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edge-bench-snmpd-"))
    snmpd = Snmpd(work)
    snmpd.start()
    try:
        v3 = AuthConfig(
            version="3",
            username=snmpd.v3_user,
            auth_protocol="SHA",
            auth_password=SecretStr(snmpd.v3_auth),
            priv_protocol="AES",
            priv_password=SecretStr(snmpd.v3_priv),
        )
        results: dict[str, tuple[float, int]] = {}
        results["snmp_exporter 0.21 (Debian), if_mib"] = exporter_cpu(
            snmpd.host, snmpd.port, args.rounds, "public"
        )
        results.update(asyncio.run(agent_side(snmpd.host, snmpd.port, args.rounds, "public", v3)))
        results["snmpbulkwalk -Cr25, 2 walks per round"] = bulkwalk_cpu(
            snmpd.host, snmpd.port, max(5, args.rounds // 10), "public", SUBTREES
        )
        results["snmpbulkwalk -Cr25, one walk of MIB-2"] = bulkwalk_cpu(
            snmpd.host, snmpd.port, 5, "public", ["1.3.6.1.2.1"]
        )
    finally:
        snmpd.stop()
    load = os.getloadavg()[0]
    print(f"CPU per OID, IF-MIB of net-snmp snmpd on loopback ({os.cpu_count()} cores, load {load:.1f})")
    print(f"{'client':52} {'CPU s':>8} {'OIDs':>9} {'us/OID':>8}")
    per: dict[str, float] = {}
    for name, (cpu, oids) in results.items():
        per[name] = cpu / oids * 1e6 if oids else float("nan")
        print(f"{name:52} {cpu:8.3f} {oids:9d} {per[name]:8.1f}")
    exporter = per["snmp_exporter 0.21 (Debian), if_mib"]
    walk = per["edge agent: walk (own v2c codec)"]
    cycle = per["edge agent: full cycle system+if_mib"]
    print(
        f"ratio edge agent / snmp_exporter: walk {walk / exporter:.2f}x, "
        f"full cycle {cycle / exporter:.2f}x (goal <= 3x)"
    )


if __name__ == "__main__":
    main()
