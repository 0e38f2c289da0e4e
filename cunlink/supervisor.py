"""Start child programs for the demo and stop every one of them, whatever happens.

Each child runs in its own process group and is told by the kernel to die with
its parent (PR_SET_PDEATHSIG), so even a ``kill -9`` of the demo leaves no orphan.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child between fork and exec; only async-signal-safe calls here.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One supervised program."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Supervisor:
    """Owns the demo's children; ``stop_all`` stops them in reverse start order."""

    logdir: Path
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        """Start ``argv`` with its output in ``logdir/<name>.log``."""
        self.logdir.mkdir(parents=True, exist_ok=True)
        log = self.logdir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads exist yet in the demo process
                env=env,
            )
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def dead(self) -> list[Child]:
        """Children that exited on their own."""
        return [c for c in self.children if c.proc.poll() is not None]

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGTERM each process group, newest first; SIGKILL whatever is left after ``timeout``."""
        for child in reversed(self.children):
            _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while child.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            _signal_group(child, signal.SIGKILL)
            child.proc.wait()


def _signal_group(child: Child, sig: int) -> None:
    # A group that is already gone has nothing left to stop.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.proc.pid, sig)


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
