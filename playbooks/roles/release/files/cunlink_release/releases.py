"""Release directories: unpack a verified artifact into place atomically, and collect old ones."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cunlink_release.errors import RefusedError, check_token
from cunlink_release.hooks import run_hook
from cunlink_release.layout import (
    Layout,
    State,
    complete_releases,
    fsync_dir,
    fsync_tree,
    link_version,
    staged_paths,
)
from cunlink_release.lock import tree_lock
from cunlink_release.settings import Settings

if TYPE_CHECKING:
    import tarfile

    from cunlink_release.verify import Manifest


def _check_member(member: tarfile.TarInfo) -> None:
    path = Path(member.name)
    if path.is_absolute() or ".." in path.parts:
        msg = f"artifact member {member.name!r} escapes the release directory"
        raise RefusedError(msg, "bad-archive")
    if not (member.isfile() or member.isdir() or member.issym()):
        msg = f"artifact member {member.name!r} is not a file, directory or symlink"
        raise RefusedError(msg, "bad-archive")
    if member.issym():
        target = Path(member.linkname)
        if target.is_absolute() or ".." in (path.parent / target).parts:
            msg = f"artifact symlink {member.name!r} points outside the release"
            raise RefusedError(msg, "bad-archive")


def unpack(layout: Layout, settings: Settings, manifest: Manifest) -> tuple[Path, bool]:
    """Make releases/<version> from the staged artifact; return (path, whether it was created now)."""
    final = layout.release(manifest.version)
    if final.is_dir():
        return final, False
    artifact = staged_paths(layout, settings.artifact_name, manifest.version)[0]
    tmp = layout.releases / f".tmp-{manifest.version}-{os.getpid()}-{secrets.token_hex(4)}"
    import tarfile  # only when unpacking: most commands never do

    tmp.mkdir(parents=True)
    try:
        with tarfile.open(artifact, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member)
            if hasattr(tarfile, "data_filter"):
                # PEP 706's "data" filter also drops setuid bits; older 3.11 builds rely on the checks above.
                tar.extractall(tmp, members=members, filter="data")
            else:  # pragma: no cover - Python < 3.11.4 without the Debian backport
                tar.extractall(tmp, members=members)  # noqa: S202 - every member checked above
        revision = {
            "version": manifest.version,
            "name": manifest.name,
            "sha256": manifest.sha256,
            "key_id": manifest.key_id,
            "unpacked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (tmp / "REVISION").write_text(json.dumps(revision, sort_keys=True) + "\n", encoding="utf-8")
        run_hook(layout, settings, tmp, manifest.version, hook="prepare", phase="prepare")
        fsync_tree(tmp)
        os.rename(tmp, final)
        fsync_dir(layout.releases)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, True


def stage(layout: Layout, settings: Settings, version: str) -> dict[str, Any]:
    """Phase 1 (continued): unpack a fetched artifact ahead of the switch; touches nothing live."""
    check_token(version, "version")
    with tree_lock(layout, settings.lock_timeout):
        gc_temp(layout)
        if layout.release(version).is_dir():
            return {"result": "already-staged", "version": version}
        from cunlink_release.verify import verify_staged  # cryptography only when verifying

        manifest = verify_staged(layout, settings, version)
        _, created = unpack(layout, settings, manifest)
    return {"result": "staged" if created else "already-staged", "version": version}


def gc_temp(layout: Layout) -> None:
    """Remove unpacks and temp links left by a killed run (we hold the tree lock, so none is live)."""
    if layout.releases.is_dir():
        for p in layout.releases.iterdir():
            if p.name.startswith(".tmp-"):
                shutil.rmtree(p, ignore_errors=True)
    for p in layout.root.glob(".*.tmp-*"):
        if p.is_symlink() or p.is_file():
            p.unlink(missing_ok=True)


def gc_releases(layout: Layout, settings: Settings, state: State) -> list[str]:
    """Keep the newest ``keep`` releases plus current, previous and the pending rollback target."""
    protect = {link_version(layout, layout.current), link_version(layout, layout.previous)}
    if state.pending:
        protect.add(state.pending.get("previous"))
    versions = complete_releases(layout)
    removed: list[str] = []
    surplus = len(versions) - settings.keep
    for version in versions:
        if surplus <= 0:
            break
        if version in protect:
            continue
        # Rename first so that a crash mid-delete never leaves a half release under its real name.
        doomed = layout.releases / f".tmp-gc-{version}-{secrets.token_hex(4)}"
        os.rename(layout.release(version), doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        removed.append(version)
        surplus -= 1
    # Staged artifacts of unpacked releases are redundant; keep pre-fetched future versions.
    for artifact in layout.staging.glob(f"{settings.artifact_name}-*.tar.gz"):
        version = artifact.name[len(settings.artifact_name) + 1 : -len(".tar.gz")]
        if layout.release(version).is_dir() or version in removed:
            for p in staged_paths(layout, settings.artifact_name, version):
                p.unlink(missing_ok=True)
    if removed:
        fsync_dir(layout.releases)
    return removed
