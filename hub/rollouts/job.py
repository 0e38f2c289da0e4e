"""One wave as one ansible-runner job, in its own process and private data directory.

``python -m hub.rollouts.job`` reads a job spec (JSON) on stdin, runs the playbook with
ansible-runner and writes one JSON line per per-host result on stdout, then a final line
``{"end": status, "rc": rc}``. Why a process: ansible-runner is not thread-safe (#808,
#1143), forkpty in a threaded parent can deadlock, and its children survive a cancelled
runner (#973); in a process of its own, started in a new session, the hub reads lines
without blocking its event loop and kills the whole group on abort.

The event handler only writes a line and returns False, so runner writes no job_events
files (shared/reference/rollout.md 2.6: about 0 % overhead against +18 %).
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Any

#: Tasks whose per-host result the orchestrator judges (playbooks/roles/release/tasks/).
RESULT_TASKS = frozenset(
    {
        "Fetch and verify the signed artifact",
        "Activate the release",
        "Verify a pending switch",
        "Roll back to the previous release",
    }
)
_EVENTS = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable"}
FETCH_TASK = "Fetch and verify the signed artifact"


def tool_answer(stdout: str) -> dict[str, Any] | None:
    """The device tool's JSON object: the last line of ``stdout`` that is one.

    Not simply the last line: over ssh, ``raw`` runs on a tty, which mixes the tool's stderr
    into stdout (CRLF line ends included), so anything written after the answer, such as an
    interpreter's warning at exit, would hide it; a lost answer loses the reason, and with it
    a failed download's ``"step": "fetch"`` (deferred, not failed).
    """
    for line in reversed(stdout.splitlines()):
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def result_line(event: dict[str, Any]) -> dict[str, Any] | None:
    """The line for one runner event, or None when the orchestrator does not care about it."""
    kind = _EVENTS.get(str(event.get("event")))
    data = event.get("event_data") or {}
    host, task = data.get("host"), data.get("task")
    if kind is None or not host:
        return None
    # ok: only the release tasks matter; failed/unreachable: any task (a broken include counts).
    if kind == "ok" and task not in RESULT_TASKS:
        return None
    res = data.get("res") or {}
    if kind == "failed" and data.get("ignore_errors"):
        return None
    rc = res.get("rc")
    if isinstance(rc, int) and 128 < rc < 160 and task in RESULT_TASKS:
        # A shell between Ansible and the device tool (raw, become) reports a tool killed by
        # signal N as 128+N; the tool itself never exits above 75. Report it as killed.
        rc = 128 - rc
    out: dict[str, Any] = {"host": host, "task": task, "event": kind, "rc": rc}
    stdout = res.get("stdout")
    if isinstance(stdout, str) and stdout.strip():
        answer = tool_answer(stdout)
        out["result"] = answer if answer is not None else {"raw": stdout[-500:]}
    elif res.get("msg"):
        out["result"] = {"msg": str(res["msg"])[-500:]}
    result = out.get("result")
    if isinstance(result, dict) and result.get("step") == "fetch":
        # Phase "all" runs `activate --fetch` as one task: a download that failed (65 refused,
        # 69 resumable) is judged as the fetch it was, not as a failed switch.
        out["task"] = FETCH_TASK
    return out


def main() -> int:
    spec = json.loads(sys.stdin.read())
    import ansible_runner  # heavy import, only in the job process

    # SIGTERM cancels through runner, which SIGKILLs ansible-playbook's process group: that
    # group is not ours (pexpect gives the child a session of its own), so killing only this
    # process would leave Ansible running (ansible-runner #973).
    cancelled = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal cancelled
        del signum, frame
        cancelled = True

    signal.signal(signal.SIGTERM, on_term)

    def on_event(event: dict[str, Any]) -> bool:
        line = result_line(event)
        if line is not None:
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
        return False

    runner = ansible_runner.run(
        private_data_dir=spec["private_data_dir"],
        project_dir=spec["project_dir"],
        playbook=spec["playbook"],
        inventory=spec["inventory"],
        limit=spec["limit"],
        forks=spec.get("forks", 20),
        extravars=spec.get("extravars", {}),
        envvars=spec.get("envvars", {}),
        settings={"job_timeout": spec.get("job_timeout", 3600), "suppress_ansible_output": True},
        event_handler=on_event,
        cancel_callback=lambda: cancelled,
        quiet=True,
    )
    sys.stdout.write(json.dumps({"end": runner.status, "rc": runner.rc}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
