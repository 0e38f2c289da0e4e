"""Start a wave job process (hub/rollouts/job.py) and read its result lines without blocking."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_REPO = Path(__file__).resolve().parents[2]
#: Seconds a cancelled job gets to stop Ansible before it is killed outright.
CANCEL_GRACE_S = 10.0


class WaveJob:
    """A running ``python -m hub.rollouts.job`` in its own session and private data dir."""

    def __init__(self, proc: asyncio.subprocess.Process, run_dir: Path) -> None:
        self.proc = proc
        self.run_dir = run_dir
        self.end: dict[str, Any] | None = None

    @classmethod
    async def start(cls, spec: dict[str, Any], run_dir: Path) -> WaveJob:
        await asyncio.to_thread(run_dir.mkdir, parents=True, exist_ok=True)
        spec = {**spec, "private_data_dir": str(run_dir)}
        repo = _REPO
        env = dict(os.environ)
        # ansible-runner runs ansible-playbook from PATH: the hub's own environment comes first.
        env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo), env.get("PYTHONPATH", "")) if p)
        with (run_dir / "job.log").open("ab") as errors:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "hub.rollouts.job",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
                start_new_session=True,
                env=env,
                # Lines can carry a device tool's JSON; the default 64 KiB limit is tight.
                limit=1 << 22,
            )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(spec).encode())
        await proc.stdin.drain()
        proc.stdin.close()
        return cls(proc, run_dir)

    async def lines(self) -> AsyncIterator[dict[str, Any]]:
        """Per-host result lines as they come; the final ``{"end": ...}`` line is kept in ``end``."""
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                log.warning("wave job %s: not JSON: %r", self.run_dir.name, raw[:200])
                continue
            if "end" in line:
                self.end = line
                continue
            yield line
        await self.proc.wait()

    async def cancel(self) -> None:
        """Ask the job to cancel (runner kills Ansible's group), then kill ours if it lingers."""
        if self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), CANCEL_GRACE_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            await self.proc.wait()
