"""Find and kill wave jobs that nobody reads any more: the leftovers of a dead hub or a dead job.

A wave job runs in a session of its own (wavejob.py), and ansible-runner starts
ansible-playbook in yet another one (pexpect), so neither dies with its parent: a hub killed
with SIGKILL leaves its job running, and a job process killed with SIGKILL leaves Ansible
running (ansible-runner #973). Such a leftover keeps switching devices that the hub no longer
tracks, writes into a run directory the hub may reuse, and holds devices' ``.release.lock``
while the hub re-verifies them. Nobody can read its results again (its stdout was the dead
process's pipe), so it is not adopted but killed; the devices it touched are re-verified,
which is what the device tool's crash safety is for (docs/rollout.md "Crash safety").

Leftovers are recognised through /proc, by what ties them to a run directory under the
hub's ``rollout-jobs``: ansible-playbook and its forked workers carry
``-e @<run_dir>/env/extravars`` on their command line; the job process (``-m
hub.rollouts.job``) has its stderr open on ``<run_dir>/job.log``. Their whole process
groups are killed, which takes the device tool runs that Ansible started (local connection)
with them. Linux only, like the hub.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from pathlib import Path

log = logging.getLogger(__name__)

_PROC = Path("/proc")
#: Seconds to wait for killed processes to disappear (SIGKILL is not refused; init reaps them).
GONE_WAIT_S = 10.0


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a zombie holds no locks and runs nothing)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _belongs(pid: int, prefixes: tuple[bytes, ...]) -> bool:
    # Narrow on purpose: an operator's `tail -f .../job.log` must survive a hub restart.
    base = _PROC / str(pid)
    try:
        argv = (base / "cmdline").read_bytes().split(b"\0")
        extravars = [a[1:] for a in argv if a.startswith(b"@") and a.endswith(b"/env/extravars")]
        if any(a.startswith(prefixes) for a in extravars):
            return True  # ansible-playbook or one of its forked workers
        if b"hub.rollouts.job" not in argv:
            return False
        return os.readlink(base / "fd" / "2").encode().startswith(prefixes)  # the job process
    except OSError:  # gone meanwhile, or not ours to look at
        return False


def find(under: Path) -> dict[int, int]:
    """``{pid: process group}`` of every live process tied to a run directory below ``under``."""
    # Ansible got the path as the hub wrote it; /proc shows the job's stderr resolved.
    prefixes = tuple({str(p).encode() + b"/" for p in (under.absolute(), under.resolve())})
    own = {os.getpid(), os.getpgid(0)}
    found: dict[int, int] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid in own or not _belongs(pid, prefixes) or not _alive(pid):
            continue
        with contextlib.suppress(OSError):
            found[pid] = os.getpgid(pid)
    return found


def reap(under: Path, wait_s: float = GONE_WAIT_S) -> list[int]:
    """SIGKILL the process groups of leftovers below ``under``; wait until they are gone.

    Blocking (it scans /proc and waits): call it off the event loop. Returns the pids found.
    """
    found = find(under)
    if not found:
        return []
    own_group = os.getpgid(0)
    for pid, group in found.items():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait_s
    while any(_alive(pid) for pid in found) and time.monotonic() < deadline:
        time.sleep(0.05)
    log.warning("killed %d leftover wave job processes under %s: %s", len(found), under, sorted(found))
    return sorted(found)


def last_job(rollout_dir: Path) -> int:
    """The highest job number used under a rollout's run directory (0 when none).

    A restarted hub numbers its jobs on from there: reusing a run directory would mix a new
    job's files and logs with those of the old one (which may even still run).
    """
    numbers = [int(p.name[4:8]) for p in rollout_dir.glob("job-[0-9][0-9][0-9][0-9]-*")]
    return max(numbers, default=0)
