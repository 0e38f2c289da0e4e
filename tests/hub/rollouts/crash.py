"""Tools of the kill -9 tests and benchmarks: kill wave jobs or the hub, judge devices and audit.

A wave job is ``python -m hub.rollouts.job`` in a session of its own; ansible-runner starts
ansible-playbook in another one (pexpect), whose forked workers and the device tool runs
they start share Ansible's process group. Killing "the controller" therefore means killing
one or both of those groups, found by walking the process tree from the job's pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from tests.hub.rollouts.conftest import ADMIN, READ, make_config
from tests.hub.rollouts.simfleet import SimFleet
from tests.support.ports import wait_tcp
from tests.support.services import Mosquitto, Process

_PROC = Path("/proc")
#: How a kill hits a wave job: everything, only Ansible's group, or only the runner process.
KILL_MODES = ("all", "ansible", "runner")


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a live process, or None."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            parents.setdefault(st[1], []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def kill_job(job_pid: int, mode: str) -> list[int]:
    """SIGKILL a wave job as ``mode`` says; wait until the killed processes are gone; their pids.

    None killed (an empty list) when the job ended before the kill.
    """
    tree = descendants(job_pid)
    groups = {st[2] for p in tree if (st := _stat(p)) is not None} - {os.getpgid(0)}
    try:
        job_group = os.getpgid(job_pid)
        if mode == "runner":
            os.kill(job_pid, signal.SIGKILL)
    except ProcessLookupError:
        return []  # it ended just now: no kill
    if mode == "runner":
        targets, killed = [job_pid], [job_pid]
    else:
        chosen = groups - {job_group} if mode == "ansible" else groups | {job_group}
        killed = [p for p in [job_pid, *tree] if (st := _stat(p)) is not None and st[2] in chosen]
        for group in chosen:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        targets = killed
    deadline = time.monotonic() + 10
    while any(alive(p) for p in targets):
        assert time.monotonic() < deadline, [p for p in targets if alive(p)]
        time.sleep(0.02)
    return killed


def broken(root: Path) -> str | None:
    """Why a device's install root is broken, or None when ``current`` is a complete release.

    Complete: the link exists, resolves to ``releases/<v>`` with a REVISION naming ``v`` and
    the release's own files (its self-test hook and app/VERSION saying ``v``); ``previous`` too when
    it exists.
    """
    for name in ("current", "previous"):
        link = root / name
        if name == "previous" and not link.is_symlink():
            continue
        try:
            target = os.readlink(link)
        except OSError as exc:
            return f"{name}: {exc}"
        release = (root / target).resolve()
        version = Path(target).name
        if release.parent != (root / "releases").resolve():
            return f"{name} -> {target}: not a release"
        try:
            revision = json.loads((release / "REVISION").read_text())
            app_version = (release / "app" / "VERSION").read_text()
        except (OSError, ValueError) as exc:
            return f"{name} -> {target}: incomplete ({exc})"
        if revision.get("version") != version or app_version != version:
            return f"{name} -> {target}: REVISION {revision.get('version')}, app/VERSION {app_version}"
        if not os.access(release / "bin" / "selftest", os.X_OK):
            return f"{name} -> {target}: no bin/selftest"
    return None


def audit_rows(data_dir: Path) -> list[dict[str, Any]]:
    """The whole audit log of the hub's rollouts database, in order."""
    with sqlite3.connect(f"file:{data_dir / 'rollouts.sqlite'}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM audit ORDER BY seq")]


def check_audit(data_dir: Path, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Assert the audit log kept ``before`` unchanged as its prefix and refuses rewrites; the log."""
    rows = audit_rows(data_dir)
    assert rows[: len(before)] == before, "the audit log was rewritten"
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(set(seqs)), "audit sequence numbers are not strictly increasing"
    with sqlite3.connect(data_dir / "rollouts.sqlite") as db:
        for sql in ("UPDATE audit SET action = 'x'", "DELETE FROM audit"):
            try:
                db.execute(sql)
            except sqlite3.IntegrityError:
                continue
            raise AssertionError(f"the audit log accepted {sql!r}")
    return rows


class HubProcess:
    """``cunlink hub`` as a real process on a fixed data dir and port (restartable)."""

    def __init__(self, base: Path, fleet: SimFleet, dist: Path, broker: Mosquitto, port: int) -> None:
        self.base, self.port = base, port
        config = make_config(base / "hub-data", fleet, dist, broker, port).model_dump(mode="json")
        config["api"]["tokens"] = [  # dumped masked: the secrets again
            {"name": "ops", "token": "admin-token", "role": "admin"},
            {"name": "watcher", "token": "read-token", "role": "read"},
        ]
        self.config_file = base / "hub.yaml"
        self.config_file.write_text(yaml.safe_dump(config))
        self.data_dir = Path(config["data_dir"])
        self.jobs_dir = self.data_dir / "rollout-jobs"
        self.proc: Process | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        argv = [sys.executable, "-m", "cunlink", "hub", "--config", str(self.config_file)]
        argv += ["--http-host", "127.0.0.1", "--http-port", str(self.port)]
        self.proc = Process(argv, self.base / f"hub-{self.starts}.log")
        self.proc.start()
        wait_tcp("127.0.0.1", self.port, timeout=60)

    def kill(self) -> None:
        """SIGKILL the hub alone (its process group holds only the hub; a job has its own)."""
        assert self.proc is not None
        self.proc.kill()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    async def api(self, method: str, path: str, body: Any = None, headers: dict[str, str] = ADMIN) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}"
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, json=body, headers=headers) as resp,
        ):
            data = await resp.json()
            assert resp.status < 300, (resp.status, data)
            return data

    async def wait(self, rollout: str, state: str, timeout: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            status: dict[str, Any] = await self.api("GET", f"/api/v1/rollouts/{rollout}", headers=READ)
            if status["state"] == state:
                return status
            assert loop.time() < deadline, (status["state"], status["reason"], status["devices"])
            await asyncio.sleep(0.5)
