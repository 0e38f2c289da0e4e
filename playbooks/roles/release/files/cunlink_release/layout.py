"""The install root's paths, crash-safe file operations on them, and state.json."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cunlink_release.errors import log

STATE_FORMAT = 1


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def previous(self) -> Path:
        return self.root / "previous"

    @property
    def shared(self) -> Path:
        return self.root / "shared"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.root / ".release.lock"

    @property
    def settings_file(self) -> Path:
        return self.root / "etc" / "release.json"

    def release(self, version: str) -> Path:
        return self.releases / version

    def ensure(self) -> None:
        for d in (self.root, self.releases, self.shared, self.staging):
            d.mkdir(parents=True, exist_ok=True)


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable: rename(2) alone survives kill -9, not power loss."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to a temp file, fsync it, rename it over ``path`` and fsync the directory."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_symlink(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` by renaming a fresh temp link over it (never a moment without a link)."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(link.parent)


def remove_link(link: Path) -> None:
    if link.is_symlink():
        link.unlink()
        fsync_dir(link.parent)


def fsync_tree(top: Path) -> None:
    """fsync every file and directory under ``top`` (bottom-up), before it is renamed into place."""
    for dirpath, _dirnames, filenames in os.walk(top, topdown=False):
        for name in filenames:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def link_version(layout: Layout, link: Path) -> str | None:
    """The version a ``current``/``previous`` link names, or None when absent or dangling."""
    try:
        target = os.readlink(link)
    except OSError:
        return None
    version = Path(target).name
    return version if layout.release(version).is_dir() else None


def complete_releases(layout: Layout) -> list[str]:
    """Release versions, oldest first (a release dir only exists once complete)."""
    if not layout.releases.is_dir():
        return []
    dirs = [p for p in layout.releases.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return [p.name for p in sorted(dirs, key=lambda p: (p.stat().st_mtime, p.name))]


def staged_paths(layout: Layout, name: str, version: str) -> tuple[Path, Path, Path]:
    stem = f"{name}-{version}"
    return (
        layout.staging / f"{stem}.tar.gz",
        layout.staging / f"{stem}.manifest.json",
        layout.staging / f"{stem}.manifest.json.sig",
    )


@dataclass
class State:
    """state.json: the switch awaiting verification and the versions that failed here."""

    pending: dict[str, Any] | None = None
    failed: dict[str, str] = field(default_factory=dict)
    confirmed: str | None = None

    @classmethod
    def load(cls, layout: Layout) -> State:
        try:
            raw = json.loads(layout.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            # state.json is written atomically, so this is outside damage; the links stay the truth.
            log(f"{layout.state_file}: unreadable ({exc}); starting from empty state")
            return cls()
        return cls(
            pending=raw.get("pending"), failed=dict(raw.get("failed") or {}), confirmed=raw.get("confirmed")
        )

    def save(self, layout: Layout) -> None:
        data = {
            "format": STATE_FORMAT,
            "pending": self.pending,
            "failed": self.failed,
            "confirmed": self.confirmed,
        }
        atomic_write(layout.state_file, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())
