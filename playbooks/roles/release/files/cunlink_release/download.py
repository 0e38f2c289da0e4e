"""Phase 1: fetch the signed manifest, then the artifact with HTTP Range resume, into staging."""

from __future__ import annotations

import http.client
import os
import re
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cunlink_release.errors import RefusedError, ReleaseError, UnavailableError, check_token, log
from cunlink_release.layout import Layout, atomic_write, fsync_dir, sha256_file, staged_paths
from cunlink_release.settings import Settings
from cunlink_release.verify import Manifest, load_public_keys, verify_manifest, verify_staged

_MAX_MANIFEST_BYTES = 64 * 1024


_CHUNK = 64 * 1024


def _ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.ca_file is None:
        return None
    return ssl.create_default_context(cafile=str(settings.ca_file))


def http_get(url: str, settings: Settings, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
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
            with http_get(url, settings) as response:
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
        response = http_get(url, settings, headers)
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
    return fetch_verified(layout, settings, version, base_url)[0]


def fetch_verified(
    layout: Layout, settings: Settings, version: str, base_url: str | None
) -> tuple[dict[str, Any], Manifest | None]:
    """``fetch``, plus the manifest it has just verified (None when the release is unpacked already).

    ``activate --fetch`` unpacks with that manifest instead of checking signature and
    sha256 a second time in the same process (on a kiosk, hashing the artifact is seconds).
    """
    check_token(version, "version")
    name = settings.artifact_name
    base = (base_url or settings.base_url or "").rstrip("/")
    if not base:
        msg = "no artifact base URL (pass --url or set base_url in the settings)"
        raise ReleaseError(msg, "usage")
    layout.ensure()
    if layout.release(version).is_dir():
        # Already unpacked (and verified when it was): nothing to download, so re-runs stay cheap.
        return {"result": "already-unpacked", "version": version}, None
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
            return {"result": "already-staged", "version": version, "sha256": manifest.sha256}, manifest

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
    }, manifest
