"""What one per-host result line of a wave job means for the device (docs/rollout.md exit codes).

Unreachable, busy and outside-the-window are *deferred*: retried when the device is online
again, never counted as failures (shared/reference/rollout.md 5.1). A switch is not success:
the device is ``switched`` until its BIRTH reports the new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.rollouts.model import RolloutSpec, Status

FETCH = "Fetch and verify the signed artifact"
ACTIVATE = "Activate the release"
VERIFY = "Verify a pending switch"
ROLLBACK = "Roll back to the previous release"

# Exit codes of playbooks/roles/release/files/cunlink_release.py.
EXIT_OK, EXIT_ROLLED_BACK, EXIT_REFUSED, EXIT_UNAVAILABLE, EXIT_DEFERRED = 0, 3, 65, 69, 75


def _why(line: dict[str, Any]) -> str:
    result = line.get("result") or {}
    for key in ("reason", "error", "msg", "result"):
        if result.get(key):
            return str(result[key])[:300]
    return f"rc={line.get('rc')}"


def judge(line: dict[str, Any], target: str) -> tuple[Status, str] | None:
    """The device's new status and a detail, or None when the line changes nothing."""
    event, task, rc = line.get("event"), line.get("task"), line.get("rc")
    if event == "unreachable":
        return Status.DEFERRED, f"unreachable: {_why(line)}"
    if isinstance(rc, int) and rc < 0:
        # The installer died (kill -9, OOM): no verdict on the release; the device tool's
        # state.json knows whether it switched, so re-verify, then retry.
        return Status.VERIFYING, f"{task}: installer killed by signal {-rc}"
    if task == FETCH:
        if event == "ok":
            return None
        if rc == EXIT_UNAVAILABLE:
            return Status.DEFERRED, f"download interrupted, resumes next time: {_why(line)}"
        if rc == EXIT_REFUSED:
            return Status.FAILED, f"artifact refused: {_why(line)}"
        return Status.FAILED, f"fetch failed: {_why(line)}"
    if task == ACTIVATE:
        if event == "ok" and rc == EXIT_DEFERRED:
            return Status.DEFERRED, f"deferred: {_why(line)}"
        if event == "ok":
            return Status.SWITCHED, f"{_why(line)}; waiting for its BIRTH to report {target}"
        if rc == EXIT_ROLLED_BACK:
            return Status.FAILED, f"failed its self-test and rolled back: {_why(line)}"
        return Status.FAILED, f"activate failed: {_why(line)}"
    if task == VERIFY:
        if event == "ok":
            version = (line.get("result") or {}).get("version")
            if version == target:
                return Status.SWITCHED, f"re-verified on {target}; waiting for its BIRTH"
            return Status.PENDING, f"re-verified, runs {version}: to be retried"
        return Status.FAILED, f"re-verification rolled back: {_why(line)}"
    if task == ROLLBACK:
        if event == "ok":
            return Status.REVERTED, f"reverted: {_why(line)}"
        return Status.FAILED, f"revert failed: {_why(line)}"
    if event == "failed":
        return Status.FAILED, f"task {task!r} failed: {_why(line)}"
    return None


def crossed(spec: RolloutSpec, statuses: Sequence[Status]) -> str | None:
    """Why the rollout's failure threshold is crossed (failures across all waves), or None."""
    failed = sum(s is Status.FAILED for s in statuses)
    if failed > spec.max_failures:
        return f"{failed} devices failed (more than {spec.max_failures})"
    if 100.0 * failed / len(statuses) > spec.max_failure_percent:
        return f"{failed} of {len(statuses)} devices failed (over {spec.max_failure_percent:g} %)"
    return None
