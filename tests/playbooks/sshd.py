"""A real OpenSSH server on loopback for tests that reach "devices" the way the field does.

``Sshd(directory).start()`` runs ``/usr/sbin/sshd -D -e -f <own config>`` on 127.0.0.1 at a
free port with a generated host key, and generates a client key pair whose public half is
the only authorized key. Only public-key logins of the current user are accepted (no PAM, no
passwords). sshd separates privileges only when started as root and then insists on the
system's /run/sshd; as another user it cannot switch users at all, so tests need root
(:func:`missing`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

from tests.support.ports import free_port, wait_tcp

SSHD = Path("/usr/sbin/sshd")
# Privilege separation's empty chroot; Debian's unit creates it at boot (RuntimeDirectory).
PRIVSEP_DIR = Path("/run/sshd")


def missing() -> str | None:
    """Why this machine cannot run the fixture, or None. Names the package when one is missing."""
    if not SSHD.exists() or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "sshd, ssh or ssh-keygen not found: install openssh-server (scripts/setup as root)"
    if os.geteuid() != 0:
        return f"sshd logins need root for privilege separation; tests run as uid {os.geteuid()}"
    return None


class Sshd:
    """One sshd and the key that logs in to it; :meth:`host_vars` for an inventory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.host = "127.0.0.1"
        self.port = 0
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.client_key = directory / "client_ed25519"
        self.log = directory / "sshd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def _keygen(self, path: Path) -> None:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cunlink-test", "-f", str(path)],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        host_key = self.dir / "host_ed25519"
        self._keygen(host_key)
        self._keygen(self.client_key)
        authorized = self.dir / "authorized_keys"
        authorized.write_text(self.client_key.with_suffix(".pub").read_text())
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        self.port = free_port()
        config = self.dir / "sshd_config"
        config.write_text(
            "\n".join(
                (
                    f"ListenAddress {self.host}:{self.port}",
                    f"HostKey {host_key}",
                    f"PidFile {self.dir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {authorized}",
                    f"AllowUsers {self.user}",
                    # The test's files live in a world-readable temp directory.
                    "StrictModes no",
                    "UsePAM no",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    # Ansible's ssh_args multiplex one connection per device (ControlMaster).
                    "MaxSessions 50",
                    "Subsystem sftp internal-sftp",
                    "LogLevel VERBOSE",
                    "",
                )
            )
        )
        check = subprocess.run(
            [str(SSHD), "-t", "-f", str(config)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stderr
        with self.log.open("ab") as log:
            # sshd re-executes itself, which needs the absolute path.
            self.proc = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(config)], stderr=log, stdin=subprocess.DEVNULL
            )
        try:
            wait_tcp(self.host, self.port)
        except OSError:
            self.stop()
            raise AssertionError(f"sshd did not listen: {self.log.read_text()}") from None

    def host_vars(self) -> dict[str, object]:
        """Inventory variables that reach this server with Ansible's ssh connection."""
        return {
            "ansible_connection": "ssh",
            "ansible_host": self.host,
            "ansible_port": self.port,
            "ansible_user": self.user,
            "ansible_ssh_private_key_file": str(self.client_key),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
            " -o IdentitiesOnly=yes -o BatchMode=yes",
        }

    def stop(self) -> None:
        """Stop the listener and the sessions it forked: Ansible's ControlPersist masters would
        otherwise keep theirs open for minutes after the test."""
        if self.proc is None:
            return
        sessions = _children(self.proc.pid)
        self.proc.terminate()
        for pid in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
