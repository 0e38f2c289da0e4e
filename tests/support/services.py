"""Real services on loopback: each starts on a free port and stops when the test ends."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port, wait_tcp


class ServiceMissingError(RuntimeError):
    """A binary the test needs is not installed (run scripts/setup as root)."""


def need(binary: str) -> str:
    """Path of ``binary`` (looking in /usr/sbin too, where Debian puts daemons)."""
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if path is None:
        msg = f"{binary} is not installed; run `sudo scripts/setup` to install the Debian packages"
        raise ServiceMissingError(msg)
    return path


@dataclass
class Process:
    """A child process in its own process group, stopped with the whole group."""

    argv: list[str]
    log: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=self.env
            )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Mosquitto:
    """A real Mosquitto broker on 127.0.0.1; restartable on the same port."""

    workdir: Path
    host: str = "127.0.0.1"
    port: int = 0
    process: Process | None = None

    def start(self) -> None:
        if not self.port:
            self.port = free_port()
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {self.host}\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "max_queued_messages 100000\n"
            "log_dest stdout\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
        )
        self.process = Process([need("mosquitto"), "-c", str(conf)], self.workdir / "mosquitto.log")
        self.process.start()
        try:
            wait_tcp(self.host, self.port)
        except OSError:
            msg = f"mosquitto did not start:\n{self.process.output()}"
            raise RuntimeError(msg) from None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@dataclass
class Snmpd:
    """net-snmp's snmpd on a free UDP loopback port, v2c community ``public``, v3 user ``cunlink``."""

    workdir: Path
    host: str = "127.0.0.1"
    port: int = 0
    community: str = "public"
    v3_user: str = "cunlink"
    v3_auth: str = "authpass123"
    v3_priv: str = "privpass123"
    process: Process | None = None

    def start(self) -> None:
        self.port = self.port or free_port(socket.SOCK_DGRAM)
        persist = self.workdir / "snmp-persist"
        persist.mkdir(exist_ok=True)
        conf = self.workdir / "snmpd.conf"
        conf.write_text(
            f"agentAddress udp:{self.host}:{self.port}\n"
            f"rocommunity {self.community} 127.0.0.1\n"
            f"createUser {self.v3_user} SHA {self.v3_auth} AES {self.v3_priv}\n"
            f"rouser {self.v3_user} priv\n"
            "sysLocation cunlink test bench\n"
            "sysContact tests@cunlink.invalid\n"
        )
        env = dict(os.environ, SNMP_PERSISTENT_DIR=str(persist), MIBS="")
        self.process = Process(
            [
                need("snmpd"),
                "-f",
                "-Lo",
                "-C",
                "-c",
                str(conf),
                "-r",
                "-I",
                "-smux",
                "-p",
                str(self.workdir / "snmpd.pid"),
            ],
            self.workdir / "snmpd.log",
            env=env,
        )
        self.process.start()
        deadline = time.monotonic() + 10
        while True:
            probe = subprocess.run(
                [
                    need("snmpget"),
                    "-v2c",
                    "-c",
                    self.community,
                    "-t",
                    "0.3",
                    "-r",
                    "0",
                    "-On",
                    f"{self.host}:{self.port}",
                    "1.3.6.1.2.1.1.3.0",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline or not self.process.running:
                msg = f"snmpd did not answer:\n{self.process.output()}\n{probe.stderr}"
                raise RuntimeError(msg)
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@dataclass
class Prometheus:
    """Debian's prometheus scraping the given targets every ``interval`` seconds."""

    workdir: Path
    targets: list[str]
    interval: str = "1s"
    host: str = "127.0.0.1"
    port: int = 0
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.port = self.port or free_port()
        conf = self.workdir / "prometheus.yml"
        quoted = ", ".join(f"'{t}'" for t in self.targets)
        conf.write_text(
            "global:\n"
            f"  scrape_interval: {self.interval}\n"
            f"  scrape_timeout: {self.interval}\n"
            "scrape_configs:\n"
            "  - job_name: cunlink\n"
            f"    static_configs:\n      - targets: [{quoted}]\n"
        )
        self.process = Process(
            [
                need("prometheus"),
                f"--config.file={conf}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                f"--web.listen-address={self.host}:{self.port}",
                "--log.level=warn",
            ],
            self.workdir / "prometheus.log",
        )
        self.process.start()
        wait_tcp(self.host, self.port, timeout=30)
        # The query API answers 503 until the TSDB is open.
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                msg = f"prometheus not ready:\n{self.process.output()}"
                raise RuntimeError(msg)
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
