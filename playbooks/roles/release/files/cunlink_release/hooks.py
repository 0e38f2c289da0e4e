"""The release's own hooks (bin/prepare, bin/selftest) and the post-switch health checks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from cunlink_release.errors import ReleaseError
from cunlink_release.layout import Layout
from cunlink_release.settings import Settings


def run_hook(
    layout: Layout, settings: Settings, release: Path, version: str, *, hook: str, phase: str
) -> bool:
    """Run ``release/bin/<hook>`` if the release has one; raise ReleaseError when it fails."""
    path = release / "bin" / hook
    if not path.exists():
        return False
    env = dict(os.environ)
    env.update(settings.hook_env)
    env.update(
        CUNLINK_RELEASE_ROOT=str(layout.root),
        CUNLINK_RELEASE_DIR=str(release),
        CUNLINK_RELEASE_VERSION=version,
        CUNLINK_RELEASE_PHASE=phase,
    )
    try:
        done = subprocess.run(
            [str(path)],
            cwd=release,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=settings.hook_timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        msg = f"{hook} of {version} ({phase}) did not finish within {settings.hook_timeout:g} s"
        raise ReleaseError(msg, f"{hook}-failed") from None
    except OSError as exc:
        msg = f"cannot run {hook} of {version}: {exc}"
        raise ReleaseError(msg, f"{hook}-failed") from None
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).decode(errors="replace").strip().splitlines()[-5:]
        msg = f"{hook} of {version} ({phase}) failed with exit {done.returncode}: " + " | ".join(tail)
        raise ReleaseError(msg, f"{hook}-failed")
    return True


def health_checks(layout: Layout, settings: Settings, version: str) -> str | None:
    """One round of post-switch checks; None when healthy, else what failed."""
    if settings.unit:
        done = subprocess.run(
            ["systemctl", "is-active", "--quiet", settings.unit], check=False, capture_output=True
        )
        if done.returncode != 0:
            return f"unit {settings.unit} is not active"
    try:
        run_hook(layout, settings, layout.release(version), version, hook="selftest", phase="post")
    except ReleaseError as exc:
        return str(exc)
    if settings.health_url:
        try:
            import http.client  # urllib and http.client only when there is a URL to check

            from cunlink_release.download import http_get

            with http_get(settings.health_url, Settings(fetch_timeout=5.0, ca_file=settings.ca_file)) as r:
                if r.status != 200:
                    return f"{settings.health_url} answered {r.status}"
        except (OSError, http.client.HTTPException, ReleaseError) as exc:
            return f"{settings.health_url}: {exc}"
    return None
