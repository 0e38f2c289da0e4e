"""Run net-snmp's command-line tools against a simulator from async tests.

The tools run as subprocesses awaited with asyncio, so an in-process simulator
on the same event loop keeps answering while they wait.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

V3_SHA = (
    "-v3",
    "-l",
    "authPriv",
    "-u",
    "simuser",
    "-a",
    "SHA",
    "-A",
    "authpass123",
    "-x",
    "AES",
    "-X",
    "privpass123",
)
V3_SHA256 = (
    "-v3",
    "-l",
    "authPriv",
    "-u",
    "sim256",
    "-a",
    "SHA-256",
    "-A",
    "authpass256",
    "-x",
    "AES",
    "-X",
    "privpass256",
)

needs_netsnmp = pytest.mark.skipif(shutil.which("snmpget") is None, reason="net-snmp tools are not installed")


class SnmpTimeoutError(Exception):
    """The tool gave up waiting for an answer."""


def parse(output: str) -> dict[str, str]:
    """``-On -Oq`` output to {oid without leading dot: value}; quoted values lose their quotes."""
    values: dict[str, str] = {}
    last = ""
    for line in output.splitlines():
        if line.startswith("."):
            oid, _, value = line.partition(" ")
            if value.startswith("No more variables left"):
                # A walk that reaches the end of the agent's MIB repeats the last OID with endOfMibView.
                last = ""
                continue
            last = oid[1:]
            values[last] = value
        elif last:
            values[last] += "\n" + line
    return {k: v.strip().strip('"') for k, v in values.items()}


async def snmp(
    tool: str, port: int, target: str, *oids: str, v3: tuple[str, ...] | None = None, timeout: float = 1.0
) -> dict[str, str]:
    """Run ``tool`` against 127.0.0.1:port. ``target`` is the device: v2c community index or v3 context."""
    auth = ["-v2c", "-c", f"public@{target}"] if v3 is None else [*v3, "-n", target]
    argv = [
        tool,
        *auth,
        "-On",
        "-Oq",
        "-Ot",
        "-Oe",
        "-t",
        str(timeout),
        "-r",
        "0",
        f"127.0.0.1:{port}",
        *oids,
    ]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout + 20)
    if b"Timeout" in err:
        raise SnmpTimeoutError(err.decode())
    assert proc.returncode == 0, err.decode()
    return parse(out.decode())


async def get(port: int, device: str, *oids: str, **kw: object) -> dict[str, str]:
    return await snmp("snmpget", port, device, *oids, **kw)  # type: ignore[arg-type]


async def walk(port: int, device: str, oid: str, **kw: object) -> dict[str, str]:
    return await snmp("snmpbulkwalk", port, device, oid, **kw)  # type: ignore[arg-type]
