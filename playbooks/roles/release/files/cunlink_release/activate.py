"""Phase 2: switch current atomically, restart, verify or roll back; and the commands around it."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import time
from typing import TYPE_CHECKING, Any

from cunlink_release.errors import EXIT_OK, EXIT_ROLLED_BACK, DeferredError, ReleaseError, check_token, log
from cunlink_release.hooks import health_checks, run_hook
from cunlink_release.layout import Layout, State, atomic_symlink, complete_releases, link_version, remove_link
from cunlink_release.lock import session_guard, tree_lock
from cunlink_release.releases import gc_releases, gc_temp, unpack
from cunlink_release.settings import Settings, in_window

if TYPE_CHECKING:
    from cunlink_release.verify import Manifest


def _switch_locked(
    layout: Layout,
    settings: Settings,
    version: str,
    *,
    force: bool,
    ignore_window: bool,
    ignore_session: bool,
    manifest: Manifest | None = None,
) -> dict[str, Any]:
    """Move ``current`` to ``version``; ``manifest``: verified just now by ``activate --fetch``."""
    state = State.load(layout)
    current = link_version(layout, layout.current)
    if current == version:
        return {"result": "already-current", "version": version}
    if version in state.failed and not force:
        msg = f"{version} failed verification here at {state.failed[version]}; pass --force to try it again"
        raise ReleaseError(msg, "failed-before")
    # A first install has nothing running to disturb, so window and session do not apply.
    first_install = current is None
    if not (ignore_window or first_install) and not in_window(settings):
        msg = "outside the maintenance window; switch deferred"
        raise DeferredError(msg, "outside-window")
    guard = contextlib.nullcontext() if ignore_session or first_install else session_guard(settings)
    with guard:
        gc_temp(layout)
        release = layout.release(version)
        if not release.is_dir():
            if manifest is None:
                from cunlink_release.verify import verify_staged  # cryptography only when verifying

                manifest = verify_staged(layout, settings, version)
            unpack(layout, settings, manifest)
        # Before-symlink hook (ansistrano's place for checks): a failure here changes nothing.
        run_hook(layout, settings, release, version, hook="selftest", phase="pre")
        # Record intent before the link moves: a crash after the move is then finished by `verify`.
        state.pending = {
            "version": version,
            "previous": current,
            "switched_at": time.time(),
        }
        state.failed.pop(version, None)
        state.save(layout)
        if current is not None:
            atomic_symlink(layout.previous, f"releases/{current}")
        atomic_symlink(layout.current, f"releases/{version}")
        log(f"current -> releases/{version} (was {current})")
    removed = gc_releases(layout, settings, state)
    return {"result": "switched", "version": version, "previous": current, "removed": removed}


def restart(settings: Settings) -> None:
    if not settings.restart_command:
        return
    done = subprocess.run(list(settings.restart_command), check=False, capture_output=True, timeout=120)
    if done.returncode != 0:
        # Not fatal: verification decides whether the new release is healthy.
        log(f"restart command failed ({done.returncode}): {done.stderr.decode(errors='replace').strip()}")


def _rollback_locked(
    layout: Layout, settings: Settings, to: str | None, *, failed: str | None
) -> dict[str, Any]:
    state = State.load(layout)
    current = link_version(layout, layout.current)
    if failed is not None:
        state.failed[failed] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if to is not None:
        check_token(to, "version")
        if not layout.release(to).is_dir():
            msg = f"release {to} is not on this device"
            raise ReleaseError(msg, "no-such-release")
        target: str | None = to
    else:
        candidates: list[str | None] = []
        if state.pending:
            candidates.append(state.pending.get("previous"))
        candidates.append(link_version(layout, layout.previous))
        candidates += reversed(complete_releases(layout))
        target = next(
            (
                v
                for v in candidates
                if v and v != current and v not in state.failed and layout.release(v).is_dir()
            ),
            None,
        )
    if target is None:
        # Nothing to go back to (a first install that failed): keep what runs, say so loudly.
        state.pending = None
        state.save(layout)
        msg = f"no release to roll back to (current: {current})"
        raise ReleaseError(msg, "no-previous")
    # Order matters for kill -9: (1) record the failure with the switch still pending, so a
    # crash before the link moves leaves `verify` to judge (and roll back) again; (2) move the
    # link; (3) clear pending. A crash between (2) and (3) leaves pending naming a version
    # that is not current, which `verify` clears.
    if failed is not None:
        state.save(layout)
    if target != current:
        atomic_symlink(layout.current, f"releases/{target}")
        # The old `previous` would now be a step forward; a second rollback picks the next older release.
        remove_link(layout.previous)
        log(f"rolled back: current -> releases/{target} (was {current})")
    state.pending = None
    state.confirmed = target
    state.save(layout)
    if target != current:
        restart(settings)
    return {"result": "rolled-back", "version": target, "from": current, "changed": target != current}


def _verify_locked(layout: Layout, settings: Settings, deadline: float) -> tuple[dict[str, Any], int]:
    state = State.load(layout)
    pending = state.pending
    if not pending:
        return {"result": "nothing-pending", "version": link_version(layout, layout.current)}, EXIT_OK
    version = str(pending.get("version"))
    current = link_version(layout, layout.current)
    if current != version:
        # Killed between recording the intent and moving the link: the switch never happened.
        state.pending = None
        state.save(layout)
        return {"result": "not-switched", "version": current}, EXIT_OK
    switched_at = float(pending.get("switched_at", time.time()))
    # The deadline counts from the switch, but a device that rebooted late still gets a short
    # grace to bring its services up before its release is judged.
    end = max(switched_at + deadline, time.time() + min(deadline, 15.0))
    problem: str | None = "not checked"
    while True:
        problem = health_checks(layout, settings, version)
        if problem is None:
            state.pending = None
            state.confirmed = version
            state.save(layout)
            return {"result": "confirmed", "version": version}, EXIT_OK
        if time.time() + settings.verify_interval > end:
            break
        time.sleep(settings.verify_interval)
    log(f"{version} is not healthy after {deadline:g} s ({problem}); rolling back")
    result = _rollback_locked(layout, settings, None, failed=version)
    result["problem"] = problem
    result["failed_version"] = version
    return result, EXIT_ROLLED_BACK


def switch(
    layout: Layout,
    settings: Settings,
    version: str,
    *,
    force: bool = False,
    ignore_window: bool = False,
    ignore_session: bool = False,
) -> dict[str, Any]:
    check_token(version, "version")
    with tree_lock(layout, settings.lock_timeout):
        return _switch_locked(
            layout, settings, version, force=force, ignore_window=ignore_window, ignore_session=ignore_session
        )


def activate(
    layout: Layout,
    settings: Settings,
    version: str,
    deadline: float,
    manifest: Manifest | None = None,
    *,
    force: bool = False,
    ignore_window: bool = False,
    ignore_session: bool = False,
) -> tuple[dict[str, Any], int]:
    """Phase 2 in one step for Ansible: switch, restart, verify (rolling back on failure)."""
    check_token(version, "version")
    # One lock across all three so that the verify timer cannot judge the release half way.
    with tree_lock(layout, settings.lock_timeout):
        result = _switch_locked(
            layout,
            settings,
            version,
            force=force,
            ignore_window=ignore_window,
            ignore_session=ignore_session,
            manifest=manifest,
        )
        if result["result"] == "already-current":
            state = State.load(layout)
            if not (state.pending and state.pending.get("version") == version):
                return result, EXIT_OK
            # A previous run switched but never verified (controller killed): finish the job.
        else:
            restart(settings)
        verdict, code = _verify_locked(layout, settings, deadline)
    verdict.setdefault("switch", result)
    return verdict, code


def verify(layout: Layout, settings: Settings, deadline: float, wait: bool) -> tuple[dict[str, Any], int]:
    try:
        with tree_lock(layout, settings.lock_timeout if wait else 0.0):
            return _verify_locked(layout, settings, deadline)
    except DeferredError:
        if wait:
            raise
        # The timer found another command at work (it will verify what it switched).
        return {"result": "busy"}, EXIT_OK


def rollback(layout: Layout, settings: Settings, to: str | None) -> dict[str, Any]:
    with tree_lock(layout, settings.lock_timeout):
        return _rollback_locked(layout, settings, to, failed=None)


def confirm(layout: Layout, settings: Settings) -> dict[str, Any]:
    with tree_lock(layout, settings.lock_timeout):
        state = State.load(layout)
        current = link_version(layout, layout.current)
        if state.pending and state.pending.get("version") == current:
            state.pending = None
            state.confirmed = current
            state.save(layout)
            return {"result": "confirmed", "version": current}
        return {"result": "nothing-pending", "version": current}


def status(layout: Layout, settings: Settings) -> dict[str, Any]:
    state = State.load(layout)
    staged = sorted(
        p.name[len(settings.artifact_name) + 1 : -len(".tar.gz")]
        for p in layout.staging.glob(f"{settings.artifact_name}-*.tar.gz")
    )
    return {
        "result": "status",
        "current": link_version(layout, layout.current),
        "previous": link_version(layout, layout.previous),
        "pending": state.pending,
        "confirmed": state.confirmed,
        "failed": state.failed,
        "releases": complete_releases(layout),
        "staged": staged,
    }
