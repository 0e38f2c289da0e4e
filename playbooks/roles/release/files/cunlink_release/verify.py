"""Signed manifests: Ed25519 over the manifest's exact bytes, then the artifact's sha256 and size.

The only module that imports cryptography, so commands that verify nothing start without it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cunlink_release.errors import RefusedError, ReleaseError, check_token
from cunlink_release.layout import Layout, sha256_file, staged_paths
from cunlink_release.settings import Settings

MANIFEST_FORMAT = 1


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


def parse_public_key(pem: bytes, what: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ``what`` names it in the error."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        msg = f"{what} is not valid PEM: {exc}"
        raise ReleaseError(msg, "settings") from None
    if not isinstance(key, Ed25519PublicKey):
        msg = f"{what} is not an Ed25519 public key"
        raise ReleaseError(msg, "settings")
    return key


def load_public_keys(paths: Sequence[Path]) -> list[Ed25519PublicKey]:
    keys: list[Ed25519PublicKey] = []
    for path in paths:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            msg = f"cannot load release public key {path}: {exc}"
            raise ReleaseError(msg, "settings") from None
        keys.append(parse_public_key(pem, f"release public key {path}"))
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
