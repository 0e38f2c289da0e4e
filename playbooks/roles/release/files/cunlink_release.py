#!/usr/bin/env python3
"""cunlink_release: the device side of a cunlink rollout (fetch, stage, switch, verify, rollback).

The Ansible role ``release`` copies this one file to every kiosk, edge agent and hub.
It needs only the standard library and ``cryptography`` (Debian: python3-cryptography),
so it runs before, during and after any release of the application itself.

Layout under the install root R (after ansistrano)::

    R/releases/<version>/         complete releases; a directory gets this name only by
                                  rename(2) of a fully written and fsynced temp directory
    R/releases/.tmp-<version>-*   an unpack in progress (removed by the next command)
    R/current  -> releases/<v>    the running release; switched by renaming a new link over it
    R/previous -> releases/<v>    where a rollback goes back to
    R/shared/                     config, secrets and data that outlive releases
    R/staging/                    signed, verified downloads (``*.part`` while downloading)
    R/state.json                  pending verification and failed versions (written atomically)
    R/etc/release.json            settings written by the role (CLI flags override them)
    R/.release.lock               flock taken by every command that changes the tree

Every command prints one JSON object on stdout (for Ansible and the hub) and explains
itself on stderr. Exit codes: 0 done (or nothing to do), 1 error, 2 usage, 3 the new
release failed verification and was rolled back, 65 artifact refused (bad signature,
checksum or size), 69 download failed and can be resumed, 75 deferred (villager session
active, outside the maintenance window, or another command holds the tree).

Crash safety: ``current`` and ``previous`` only ever change by renaming a complete temp
link over them, and only to directories that became releases by renaming a complete,
fsynced temp directory. kill -9 or a power cut at any instant therefore leaves ``current``
at the old or the new release, each complete. A switch that was not yet verified is
recorded in state.json before the link moves; ``verify`` (run by the role, by systemd at
boot and by a timer) finishes that verification or rolls back.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime as dt
import errno
import fcntl
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MANIFEST_FORMAT = 1
STATE_FORMAT = 1

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ROLLED_BACK = 3
EXIT_REFUSED = 65  # EX_DATAERR: what arrived is not what was signed
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: try again later, the partial download is kept
EXIT_DEFERRED = 75  # EX_TEMPFAIL: not now (session, window, busy); not a failure

# Versions and names become file names; keep them to a safe alphabet with no "..".
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_MAX_MANIFEST_BYTES = 64 * 1024
_CHUNK = 64 * 1024


class ReleaseError(Exception):
    """A command could not do what it was asked; ``reason`` is a stable machine word."""

    exit_code = EXIT_ERROR
    reason = "error"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class RefusedError(ReleaseError):
    """The artifact is unsigned, wrongly signed, corrupted or not the one asked for."""

    exit_code = EXIT_REFUSED
    reason = "refused"


class UnavailableError(ReleaseError):
    """The download did not finish; the next ``fetch`` resumes it."""

    exit_code = EXIT_UNAVAILABLE
    reason = "unavailable"


class DeferredError(ReleaseError):
    """Not now: a villager session, the maintenance window or a busy tree."""

    exit_code = EXIT_DEFERRED
    reason = "deferred"


def log(message: str) -> None:
    sys.stderr.write(f"cunlink_release: {message}\n")
    sys.stderr.flush()


def check_token(value: str, what: str) -> str:
    if not _TOKEN.match(value) or ".." in value:
        msg = f"invalid {what} {value!r}: use 1-64 of A-Z a-z 0-9 . _ + - (no '..')"
        raise ReleaseError(msg, "usage")
    return value


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Window:
    """A daily maintenance window in local time; ``end`` before ``start`` wraps past midnight."""

    start: int  # minutes after midnight
    end: int

    @classmethod
    def parse(cls, text: str) -> Window:
        m = _WINDOW.match(text.strip())
        if m is None:
            msg = f"invalid maintenance window {text!r}: use HH:MM-HH:MM (24 h, local time)"
            raise ReleaseError(msg, "usage")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return cls(h1 * 60 + m1, min(h2 * 60 + m2, 24 * 60))

    def contains(self, minute: int) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class Settings:
    """What the role writes to R/etc/release.json; every field has a safe default."""

    public_keys: tuple[Path, ...] = ()
    base_url: str | None = None
    artifact_name: str = "cunlink"
    ca_file: Path | None = None
    keep: int = 3
    session_lock: Path | None = None
    windows: tuple[Window, ...] = ()
    timezone: str | None = None
    restart_command: tuple[str, ...] = ()
    unit: str | None = None
    health_url: str | None = None
    verify_deadline: float = 60.0
    verify_interval: float = 2.0
    hook_timeout: float = 300.0
    hook_env: dict[str, str] = field(default_factory=dict)
    fetch_timeout: float = 30.0
    fetch_retries: int = 3
    max_rate: int = 0  # bytes per second, 0 = unlimited
    lock_timeout: float = 120.0

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read the settings file; a missing file means all defaults."""
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            msg = f"{path}: cannot read settings: {exc}"
            raise ReleaseError(msg, "settings") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: Any, path: str) -> Settings:
        """Validate settings given as parsed JSON; ``path`` names their origin in errors."""
        if not isinstance(raw, dict):
            msg = f"{path}: settings must be a JSON object"
            raise ReleaseError(msg, "settings")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            # A typo in a knob must not silently disable a guard such as the session lock.
            msg = f"{path}: unknown settings {', '.join(unknown)}"
            raise ReleaseError(msg, "settings")
        try:
            return cls(
                public_keys=tuple(Path(p) for p in raw.get("public_keys", ())),
                base_url=raw.get("base_url") or None,
                artifact_name=check_token(str(raw.get("artifact_name", "cunlink")), "artifact name"),
                ca_file=Path(raw["ca_file"]) if raw.get("ca_file") else None,
                keep=max(1, int(raw.get("keep", 3))),
                session_lock=Path(raw["session_lock"]) if raw.get("session_lock") else None,
                windows=tuple(Window.parse(str(w)) for w in raw.get("windows", ())),
                timezone=raw.get("timezone") or None,
                restart_command=tuple(str(a) for a in raw.get("restart_command") or ()),
                unit=raw.get("unit") or None,
                health_url=raw.get("health_url") or None,
                verify_deadline=float(raw.get("verify_deadline", 60.0)),
                verify_interval=float(raw.get("verify_interval", 2.0)),
                hook_timeout=float(raw.get("hook_timeout", 300.0)),
                hook_env={str(k): str(v) for k, v in (raw.get("hook_env") or {}).items()},
                fetch_timeout=float(raw.get("fetch_timeout", 30.0)),
                fetch_retries=int(raw.get("fetch_retries", 3)),
                max_rate=int(raw.get("max_rate", 0)),
                lock_timeout=float(raw.get("lock_timeout", 120.0)),
            )
        except (TypeError, ValueError) as exc:
            msg = f"{path}: bad settings value: {exc}"
            raise ReleaseError(msg, "settings") from None


# --------------------------------------------------------------------------- files


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


@contextlib.contextmanager
def tree_lock(layout: Layout, timeout: float) -> Iterator[None]:
    """Serialise commands that change the tree; raise DeferredError when busy past ``timeout``."""
    layout.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(layout.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        end = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= end:
                    msg = "another cunlink_release command is working on this install root"
                    raise DeferredError(msg, "busy") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing drops the flock


# --------------------------------------------------------------------------- state


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


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True)
class Manifest:
    """The signed description of one artifact."""

    name: str
    version: str
    artifact: str
    sha256: str
    size: int
    key_id: str
    raw: bytes

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
        except ValueError:
            msg = "manifest is not valid JSON"
            raise RefusedError(msg, "bad-manifest") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            msg = f"manifest format is not {MANIFEST_FORMAT}"
            raise RefusedError(msg, "bad-manifest")
        try:
            name = check_token(str(data["name"]), "artifact name")
            version = check_token(str(data["version"]), "version")
            sha = str(data["sha256"]).lower()
            size = int(data["size"])
            artifact = str(data["artifact"])
        except (KeyError, TypeError, ValueError, ReleaseError) as exc:
            msg = f"manifest is incomplete or malformed: {exc}"
            raise RefusedError(msg, "bad-manifest") from None
        if artifact != f"{name}-{version}.tar.gz" or not re.fullmatch(r"[0-9a-f]{64}", sha) or size < 0:
            msg = "manifest fields are inconsistent (artifact name, sha256 or size)"
            raise RefusedError(msg, "bad-manifest")
        return cls(name, version, artifact, sha, size, str(data.get("key_id", "")), raw)


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_keys(paths: Sequence[Path]) -> list[Ed25519PublicKey]:
    keys: list[Ed25519PublicKey] = []
    for path in paths:
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError) as exc:
            msg = f"cannot load release public key {path}: {exc}"
            raise ReleaseError(msg, "settings") from None
        if not isinstance(key, Ed25519PublicKey):
            msg = f"{path} is not an Ed25519 public key"
            raise ReleaseError(msg, "settings")
        keys.append(key)
    return keys


def verify_manifest(raw: bytes, signature_text: bytes | None, keys: Sequence[Ed25519PublicKey]) -> Manifest:
    """Check the Ed25519 signature over the exact manifest bytes, then parse them."""
    if not keys:
        msg = "no trusted release public key is configured; refusing to install anything"
        raise RefusedError(msg, "no-key")
    if signature_text is None or not signature_text.strip():
        msg = "artifact is unsigned (no .sig next to the manifest); refusing it"
        raise RefusedError(msg, "unsigned")
    try:
        signature = base64.b64decode(signature_text.strip(), validate=True)
    except ValueError:
        msg = "signature file is not base64"
        raise RefusedError(msg, "bad-signature") from None
    for key in keys:
        try:
            key.verify(signature, raw)
        except InvalidSignature:
            continue
        return Manifest.parse(raw)
    ids = ", ".join(key_id(k) for k in keys)
    msg = f"manifest signature does not verify with any trusted key ({ids}); refusing it"
    raise RefusedError(msg, "bad-signature")


# --------------------------------------------------------------------------- fetch


def _ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.ca_file is None:
        return None
    return ssl.create_default_context(cafile=str(settings.ca_file))


def _get(url: str, settings: Settings, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    if not url.startswith(("http://", "https://")):
        msg = f"only http(s) URLs are fetched, not {url!r}"
        raise ReleaseError(msg, "usage")
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - scheme checked above
    response = urllib.request.urlopen(  # noqa: S310 - scheme checked above
        request, timeout=settings.fetch_timeout, context=_ssl_context(settings)
    )
    assert isinstance(response, http.client.HTTPResponse)
    return response


def _get_small(url: str, settings: Settings, missing_ok: bool = False) -> bytes | None:
    """GET a small file (manifest, signature) with retries; None for 404 when ``missing_ok``."""
    last: Exception | None = None
    for attempt in range(settings.fetch_retries + 1):
        try:
            with _get(url, settings) as response:
                data = response.read(_MAX_MANIFEST_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and missing_ok:
                return None
            if exc.code == 404:
                msg = f"{url}: not found on the server"
                raise UnavailableError(msg, "not-found") from None
            last = exc
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        else:
            if len(data) > _MAX_MANIFEST_BYTES:
                msg = f"{url}: larger than {_MAX_MANIFEST_BYTES} bytes; not a manifest"
                raise RefusedError(msg, "bad-manifest")
            return data
        if attempt < settings.fetch_retries:
            time.sleep(min(2**attempt, 10))
    msg = f"{url}: {last}"
    raise UnavailableError(msg, "network")


def _download_once(url: str, part: Path, size: int, settings: Settings) -> None:
    """Continue ``part`` from its current length (HTTP Range); what arrived is kept on any error."""
    have = part.stat().st_size if part.exists() else 0
    if have > size:
        part.unlink()
        have = 0
    if have == size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = _get(url, settings, headers)
    except urllib.error.HTTPError as exc:
        if exc.code == 416:
            # The server disagrees about our partial file (e.g. the artifact was rebuilt): start over.
            part.unlink(missing_ok=True)
        raise
    received = 0
    with response:
        if have and response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            m = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
            if m is None or int(m.group(1)) != have:
                part.unlink(missing_ok=True)
                msg = f"{url}: server answered Range bytes={have}- with {content_range!r}"
                raise UnavailableError(msg, "bad-range")
            mode = "ab"
        else:
            # 200: the server ignored Range (or we had nothing); write from byte 0.
            have = 0
            mode = "wb"
        started = time.monotonic()
        with part.open(mode) as out:
            try:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    if have + received + len(chunk) > size:
                        out.close()
                        part.unlink(missing_ok=True)
                        msg = f"{url}: server sent more than the {size} bytes the manifest signs"
                        raise RefusedError(msg, "size-mismatch")
                    out.write(chunk)
                    received += len(chunk)
                    if settings.max_rate > 0:
                        # Rural links are shared with villagers: never take more than max_rate.
                        ahead = received / settings.max_rate - (time.monotonic() - started)
                        if ahead > 0:
                            time.sleep(ahead)
            finally:
                if not out.closed:
                    out.flush()
                    os.fsync(out.fileno())


def fetch(layout: Layout, settings: Settings, version: str, base_url: str | None) -> dict[str, Any]:
    """Phase 1: download and verify the signed artifact for ``version`` into staging (resumable)."""
    check_token(version, "version")
    name = settings.artifact_name
    base = (base_url or settings.base_url or "").rstrip("/")
    if not base:
        msg = "no artifact base URL (pass --url or set base_url in the settings)"
        raise ReleaseError(msg, "usage")
    layout.ensure()
    if layout.release(version).is_dir():
        # Already unpacked (and verified when it was): nothing to download, so re-runs stay cheap.
        return {"result": "already-unpacked", "version": version}
    keys = load_public_keys(settings.public_keys)
    stem = f"{name}-{version}"
    staged = staged_paths(layout, name, version)
    if staged[0].exists():
        try:
            manifest = verify_staged(layout, settings, version)
        except RefusedError as exc:
            log(f"staged copy of {version} no longer verifies ({exc}); fetching again")
            for p in staged:
                p.unlink(missing_ok=True)
        else:
            return {"result": "already-staged", "version": version, "sha256": manifest.sha256}

    raw = _get_small(f"{base}/{stem}.manifest.json", settings)
    assert raw is not None
    sig = _get_small(f"{base}/{stem}.manifest.json.sig", settings, missing_ok=True)
    manifest = verify_manifest(raw, sig, keys)
    if manifest.version != version or manifest.name != name:
        msg = f"manifest is for {manifest.name} {manifest.version}, not {name} {version}"
        raise RefusedError(msg, "wrong-artifact")

    part = layout.staging / f"{manifest.artifact}.part"
    url = f"{base}/{manifest.artifact}"
    resumed_from = part.stat().st_size if part.exists() else 0
    last: Exception | None = None
    for attempt in range(settings.fetch_retries + 1):
        try:
            _download_once(url, part, manifest.size, settings)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                msg = f"{url}: not found on the server"
                raise UnavailableError(msg, "not-found") from None
            last = exc
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        else:
            if part.stat().st_size == manifest.size:
                break
            last = ConnectionError("connection closed before the whole artifact arrived")
        if attempt < settings.fetch_retries:
            log(f"download of {manifest.artifact} interrupted ({last}); resuming")
            time.sleep(min(2**attempt, 10))
    else:
        have = part.stat().st_size if part.exists() else 0
        msg = f"{url}: {last}; {have} of {manifest.size} bytes kept, the next fetch resumes"
        raise UnavailableError(msg, "network")

    digest = sha256_file(part)
    if digest != manifest.sha256:
        part.unlink(missing_ok=True)
        msg = f"{manifest.artifact}: sha256 {digest} does not match the signed {manifest.sha256}; discarded"
        raise RefusedError(msg, "checksum-mismatch")
    # Manifest and signature first, artifact last: the artifact's name appearing marks a complete stage.
    atomic_write(staged[1], manifest.raw)
    atomic_write(staged[2], sig or b"")
    os.replace(part, staged[0])
    fsync_dir(layout.staging)
    return {
        "result": "fetched",
        "version": version,
        "sha256": manifest.sha256,
        "size": manifest.size,
        "resumed_from": min(resumed_from, manifest.size),
    }


def staged_paths(layout: Layout, name: str, version: str) -> tuple[Path, Path, Path]:
    stem = f"{name}-{version}"
    return (
        layout.staging / f"{stem}.tar.gz",
        layout.staging / f"{stem}.manifest.json",
        layout.staging / f"{stem}.manifest.json.sig",
    )


def verify_staged(layout: Layout, settings: Settings, version: str) -> Manifest:
    """Re-check a staged artifact (signature and sha256) before it is unpacked: staging is not trusted."""
    artifact, manifest_path, sig_path = staged_paths(layout, settings.artifact_name, version)
    if not artifact.exists():
        msg = f"{settings.artifact_name} {version} is not staged; run fetch first"
        raise ReleaseError(msg, "not-staged")
    try:
        raw = manifest_path.read_bytes()
        sig = sig_path.read_bytes() if sig_path.exists() else None
    except OSError as exc:
        msg = f"cannot read staged manifest: {exc}"
        raise RefusedError(msg, "bad-manifest") from None
    manifest = verify_manifest(raw, sig, load_public_keys(settings.public_keys))
    if manifest.version != version:
        msg = f"staged manifest is for {manifest.version}, not {version}"
        raise RefusedError(msg, "wrong-artifact")
    size = artifact.stat().st_size
    if size != manifest.size or sha256_file(artifact) != manifest.sha256:
        msg = f"staged {artifact.name} does not match its signed manifest; refusing it"
        raise RefusedError(msg, "checksum-mismatch")
    return manifest


# --------------------------------------------------------------------------- unpack


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
        manifest = verify_staged(layout, settings, version)
        _, created = unpack(layout, settings, manifest)
    return {"result": "staged" if created else "already-staged", "version": version}


# --------------------------------------------------------------------------- hooks and checks


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
            with _get(settings.health_url, Settings(fetch_timeout=5.0, ca_file=settings.ca_file)) as r:
                if r.status != 200:
                    return f"{settings.health_url} answered {r.status}"
        except (OSError, http.client.HTTPException, ReleaseError) as exc:
            return f"{settings.health_url}: {exc}"
    return None


# --------------------------------------------------------------------------- guards


def in_window(settings: Settings, now: dt.datetime | None = None) -> bool:
    if not settings.windows:
        return True
    if now is None:
        tz: dt.tzinfo | None = None
        if settings.timezone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                tz = ZoneInfo(settings.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                msg = f"unknown time zone {settings.timezone!r}"
                raise ReleaseError(msg, "settings") from None
        now = dt.datetime.now(tz)
    minute = now.hour * 60 + now.minute
    return any(w.contains(minute) for w in settings.windows)


@contextlib.contextmanager
def session_guard(settings: Settings) -> Iterator[None]:
    """Hold the kiosk's session lock for the switch, or defer when a villager session holds it.

    The kiosk takes an exclusive flock on this file for as long as a villager session lasts;
    a crashed kiosk drops it with its file descriptor, so a stale lock cannot block updates.
    """
    if settings.session_lock is None:
        yield
        return
    settings.session_lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.session_lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                msg = "a villager session is in progress (session lock held); switch deferred"
                raise DeferredError(msg, "session-active") from None
            raise
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- switch, verify, rollback


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


def _switch_locked(
    layout: Layout,
    settings: Settings,
    version: str,
    *,
    force: bool,
    ignore_window: bool,
    ignore_session: bool,
) -> dict[str, Any]:
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
            unpack(layout, settings, verify_staged(layout, settings, version))
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


def switch(layout: Layout, settings: Settings, version: str, **flags: bool) -> dict[str, Any]:
    check_token(version, "version")
    with tree_lock(layout, settings.lock_timeout):
        return _switch_locked(layout, settings, version, **flags)


def activate(
    layout: Layout, settings: Settings, version: str, deadline: float, **flags: bool
) -> tuple[dict[str, Any], int]:
    """Phase 2 in one step for Ansible: switch, restart, verify (rolling back on failure)."""
    check_token(version, "version")
    # One lock across all three so that the verify timer cannot judge the release half way.
    with tree_lock(layout, settings.lock_timeout):
        result = _switch_locked(layout, settings, version, **flags)
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


# --------------------------------------------------------------------------- init

#: (path under the root, mode, whether the program's group owns it). The program may write
#: only to shared/state and shared/run; code, settings and staging belong to root.
TREE: tuple[tuple[str, int, bool], ...] = (
    ("releases", 0o755, False),
    ("staging", 0o750, False),
    ("bin", 0o755, False),
    ("etc", 0o755, False),
    ("etc/keys", 0o755, False),
    ("shared", 0o755, False),
    ("shared/config", 0o750, True),
    ("shared/secrets", 0o750, True),
    ("shared/state", 0o770, True),
    ("shared/run", 0o770, True),
)


def _owner(group: str | None, service: bool) -> tuple[int, int] | None:
    """(uid, gid) to give a path, or None when ownership is not managed (not root, no group)."""
    if group is None or os.geteuid() != 0:
        return None
    import grp

    try:
        gid = grp.getgrnam(group).gr_gid if service else 0
    except KeyError:
        msg = f"group {group!r} does not exist"
        raise ReleaseError(msg, "usage") from None
    return 0, gid


def _ensure_dir(path: Path, mode: int, owner: tuple[int, int] | None) -> bool:
    changed = False
    if not path.is_dir():
        path.mkdir(parents=True)
        changed = True
    st = path.stat()
    if st.st_mode & 0o7777 != mode:
        path.chmod(mode)
        changed = True
    if owner is not None and (st.st_uid, st.st_gid) != owner:
        os.chown(path, *owner)
        changed = True
    return changed


def _ensure_file(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> bool:
    try:
        same = path.read_bytes() == data
    except FileNotFoundError:
        same = False
    if not same:
        atomic_write(path, data, mode)
    st = path.stat()
    changed = not same
    if st.st_mode & 0o7777 != mode:
        path.chmod(mode)
        changed = True
    if owner is not None and (st.st_uid, st.st_gid) != owner:
        os.chown(path, *owner)
        changed = True
    return changed


def init(layout: Layout, payload: Any) -> dict[str, Any]:
    """The role's setup in one process: tree, settings, trusted keys and secrets, idempotently.

    ``payload`` (JSON on stdin, so secrets never appear in a process list):
    ``{"settings": {...}, "public_keys": [PEM, ...], "secrets": {name: text}, "group": name|null}``.
    Settings are validated before anything is written; keys no longer listed are removed, so
    a retired signing key stops being trusted.
    """
    if not isinstance(payload, dict):
        msg = "init expects a JSON object on stdin"
        raise ReleaseError(msg, "usage")
    group = payload.get("group") or None
    settings_raw = dict(payload.get("settings") or {})
    keys = [str(k) for k in payload.get("public_keys") or ()]
    secrets_in = {str(k): str(v) for k, v in (payload.get("secrets") or {}).items()}
    key_paths = [layout.root / "etc" / "keys" / f"release-{i}.pub" for i in range(len(keys))]
    settings_raw["public_keys"] = [str(p) for p in key_paths]
    Settings.from_dict(settings_raw, "init settings")
    for name in secrets_in:
        if "/" in name or name.startswith("."):
            msg = f"invalid secret name {name!r}"
            raise ReleaseError(msg, "usage")
    for pem in keys:
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except ValueError as exc:
            msg = f"a release public key is not valid PEM: {exc}"
            raise ReleaseError(msg, "settings") from None
        if not isinstance(key, Ed25519PublicKey):
            msg = "a release public key is not an Ed25519 key"
            raise ReleaseError(msg, "settings")
    changed: list[str] = []
    if _ensure_dir(layout.root, 0o755, _owner(group, service=False)):
        changed.append(".")
    for rel, mode, service in TREE:
        if _ensure_dir(layout.root / rel, mode, _owner(group, service)):
            changed.append(rel)
    for path, pem in zip(key_paths, keys, strict=True):
        if _ensure_file(path, pem.strip().encode() + b"\n", 0o644, _owner(group, service=False)):
            changed.append(str(path.relative_to(layout.root)))
    for stale in sorted((layout.root / "etc" / "keys").glob("release-*.pub")):
        if stale not in key_paths:
            stale.unlink()
            changed.append(str(stale.relative_to(layout.root)))
    settings_bytes = (json.dumps(settings_raw, indent=1, sort_keys=True) + "\n").encode()
    if _ensure_file(layout.settings_file, settings_bytes, 0o644, _owner(group, service=False)):
        changed.append("etc/release.json")
    for name, value in sorted(secrets_in.items()):
        if _ensure_file(layout.shared / "secrets" / name, value.encode(), 0o640, _owner(group, service=True)):
            changed.append(f"shared/secrets/{name}")
    return {"result": "initialised", "changed": bool(changed), "changed_paths": changed}


# --------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cunlink_release",
        description="Device side of cunlink rollouts: fetch (resumable, signed), stage, switch "
        "(atomic, window- and session-aware), verify (self-test or roll back), rollback.",
    )
    parser.add_argument("--root", type=Path, required=True, help="install root (holds releases/, current)")
    parser.add_argument("--settings", type=Path, help="settings JSON (default ROOT/etc/release.json)")
    parser.add_argument(
        "--public-key", type=Path, action="append", help="trusted Ed25519 key (PEM); repeatable"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch", help="phase 1: download and verify a signed artifact into staging")
    p.add_argument("--version", required=True)
    p.add_argument("--url", help="base URL holding <name>-<version>.{tar.gz,manifest.json,manifest.json.sig}")
    p.add_argument("--unpack", action="store_true", help="also unpack into releases/ (see stage)")

    p = sub.add_parser(
        "stage", help="unpack a fetched artifact into releases/<version> (nothing live changes)"
    )
    p.add_argument("--version", required=True)

    for name, text in (
        ("switch", "phase 2: move current to a staged release (atomic)"),
        ("activate", "phase 2 in one step: switch, restart, verify or roll back"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--version", required=True)
        p.add_argument("--force", action="store_true", help="allow a version that failed here before")
        p.add_argument("--ignore-window", action="store_true", help="switch outside the maintenance window")
        p.add_argument("--ignore-session", action="store_true", help="switch during a villager session")
        if name == "activate":
            p.add_argument("--deadline", type=float, help="seconds to become healthy (default from settings)")

    p = sub.add_parser("verify", help="finish a pending switch: confirm when healthy, else roll back")
    p.add_argument("--deadline", type=float, help="seconds after the switch to become healthy")
    p.add_argument("--no-wait", action="store_true", help="exit at once when another command holds the tree")

    sub.add_parser("selftest", help="run the current release's checks once; change nothing")
    sub.add_parser("confirm", help="mark the pending switch healthy without checks")
    p = sub.add_parser("rollback", help="switch current back to the previous good release")
    p.add_argument("--to", help="a specific release on this device")
    sub.add_parser("status", help="print the install root's state")
    sub.add_parser("init", help="create the tree; write settings, keys, secrets (JSON on stdin)")
    return parser


def run(argv: Sequence[str]) -> tuple[dict[str, Any], int]:
    args = build_parser().parse_args(argv)
    layout = Layout(args.root.absolute())
    if args.command == "init":
        try:
            payload = json.load(sys.stdin)
        except ValueError as exc:
            msg = f"init: stdin is not JSON: {exc}"
            raise ReleaseError(msg, "usage") from None
        return init(layout, payload), EXIT_OK
    settings = Settings.load(args.settings or layout.settings_file)
    if args.public_key:
        settings = dataclasses.replace(settings, public_keys=tuple(args.public_key))
    flags = {}
    if args.command in ("switch", "activate"):
        flags = {
            "force": args.force,
            "ignore_window": args.ignore_window,
            "ignore_session": args.ignore_session,
        }
    command: str = args.command
    if command == "fetch":
        result = fetch(layout, settings, args.version, args.url)
        if args.unpack:
            result["stage"] = stage(layout, settings, args.version)["result"]
        return result, EXIT_OK
    if command == "stage":
        return stage(layout, settings, args.version), EXIT_OK
    if command == "switch":
        return switch(layout, settings, args.version, **flags), EXIT_OK
    if command == "activate":
        deadline = args.deadline if args.deadline is not None else settings.verify_deadline
        return activate(layout, settings, args.version, deadline, **flags)
    if command == "verify":
        deadline = args.deadline if args.deadline is not None else settings.verify_deadline
        return verify(layout, settings, deadline, wait=not args.no_wait)
    if command == "selftest":
        version = link_version(layout, layout.current)
        if version is None:
            return {"result": "no-current"}, EXIT_ERROR
        problem = health_checks(layout, settings, version)
        return {
            "result": "healthy" if problem is None else "unhealthy",
            "version": version,
            "problem": problem,
        }, (EXIT_OK if problem is None else EXIT_ERROR)
    if command == "confirm":
        return confirm(layout, settings), EXIT_OK
    if command == "rollback":
        return rollback(layout, settings, args.to), EXIT_OK
    return status(layout, settings), EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        result, code = run(sys.argv[1:] if argv is None else argv)
    except ReleaseError as exc:
        log(str(exc))
        result = {"result": "error", "reason": exc.reason, "message": str(exc)}
        if isinstance(exc, DeferredError):
            result["result"] = "deferred"
        code = exc.exit_code
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
