"""Helpers for the rollout tests: a Range-capable artifact server and the release tool runner."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
#: The device tool's package (imported by the unit tests) and its zipapp builder.
RELEASE_FILES = PLAYBOOKS / "roles" / "release" / "files"
BUILD_RELEASE_TOOL = PLAYBOOKS / "tools" / "build_release_tool.py"
BUILD_ARTIFACT = PLAYBOOKS / "tools" / "build_artifact.py"
VENV_BIN = Path(sys.executable).parent


def load_module(path: Path, name: str) -> ModuleType:
    """Import a standalone script (the builders, the inventory generator) as a module."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _release_tool() -> Path:
    """The device tool as devices get it: the zipapp the role builds (content-named, so built
    once per source state and shared by test processes)."""
    builder = load_module(BUILD_RELEASE_TOOL, "build_release_tool")
    path: Path = builder.write(builder.build(), None)
    return path


#: What runs on a device as ``python3 R/bin/cunlink_release.py``.
RELEASE_TOOL = _release_tool()


@dataclass
class ServerLog:
    """What the artifact server saw and what it should break next."""

    requests: list[tuple[str, str | None]] = field(default_factory=list)
    #: path -> bytes to send before dropping the connection (once)
    cut_after: dict[str, int] = field(default_factory=dict)
    #: path -> bytes to corrupt in flight (flip every byte of the body)
    corrupt: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(SimpleHTTPRequestHandler):
    """Static files with single-range support (http.server has none), plus fault injection."""

    server_log: ServerLog

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def do_GET(self) -> None:
        log = self.server_log
        with log.lock:
            log.requests.append((self.path, self.headers.get("Range")))
            cut = log.cut_after.pop(self.path, None)
            corrupt = self.path in log.corrupt
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        data = path.read_bytes()
        start = 0
        status = HTTPStatus.OK
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            status = HTTPStatus.PARTIAL_CONTENT
        body = data[start:]
        if corrupt:
            body = bytes(b ^ 0xFF for b in body)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class ArtifactServer:
    """A local http.server on a free loopback port serving ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = ServerLog()
        root_dir = str(root)
        server_log = self.log

        class Handler(_Handler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=root_dir, **kwargs)

        Handler.server_log = server_log
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ArtifactServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_tool(
    root: Path, *args: str, settings: Path | None = None, timeout: float = 60
) -> tuple[dict[str, Any], int]:
    """Run cunlink_release.py as the device would; return (its JSON, exit code)."""
    argv = [sys.executable, str(RELEASE_TOOL), "--root", str(root)]
    if settings is not None:
        argv += ["--settings", str(settings)]
    done = subprocess.run([*argv, *args], capture_output=True, timeout=timeout, check=False)
    try:
        result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (IndexError, ValueError):
        msg = f"no JSON from cunlink_release {args}: rc={done.returncode}\n{done.stderr.decode()}"
        raise AssertionError(msg) from None
    result["_stderr"] = done.stderr.decode()
    return result, done.returncode


def write_settings(root: Path, **values: Any) -> Path:
    """Write ROOT/etc/release.json as the role would."""
    path = root / "etc" / "release.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    return path


def ansible_env(home: Path) -> dict[str, str]:
    """Environment for ansible-* commands: our ansible.cfg, a private ANSIBLE_HOME, the venv first."""
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(PLAYBOOKS / "ansible.cfg"),
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_REMOTE_TEMP=str(home / "remote-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONWARNINGS="ignore",
    )
    return env


def make_tls(directory: Path) -> dict[str, str]:
    """A throwaway CA and a server certificate for 127.0.0.1, as PEM texts (ca, cert, key)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cunlink test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = {
        "ca": ca.public_bytes(serialization.Encoding.PEM).decode(),
        "cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.pem").write_text(pem["ca"])
    return pem


@dataclass
class PlaybookRun:
    """One ansible-playbook run: exit code, output and the PLAY RECAP per host."""

    rc: int
    output: str
    recap: dict[str, dict[str, int]]


def run_playbook(playbook: str, inventory: Path, home: Path, *args: str, timeout: float = 400) -> PlaybookRun:
    """Run a playbook from playbooks/ with our ansible.cfg, as the hub's orchestrator would."""
    import re

    done = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), playbook, *args],
        cwd=PLAYBOOKS,
        env=ansible_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    recap: dict[str, dict[str, int]] = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        m = re.match(r"^(\S+)\s+:\s+(.*)$", line)
        if m:
            recap[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return PlaybookRun(done.returncode, output, recap)
