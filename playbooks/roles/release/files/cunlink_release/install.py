"""``init``: the role's setup in one process (tree, settings, trusted keys, secrets)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cunlink_release.errors import ReleaseError
from cunlink_release.layout import Layout, atomic_write
from cunlink_release.settings import Settings
from cunlink_release.verify import parse_public_key

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


def _ensure_meta(path: Path, mode: int, owner: tuple[int, int] | None) -> bool:
    """Set mode and owner where they differ; True when something changed."""
    changed = False
    st = path.stat()
    if st.st_mode & 0o7777 != mode:
        path.chmod(mode)
        changed = True
    if owner is not None and (st.st_uid, st.st_gid) != owner:
        os.chown(path, *owner)
        changed = True
    return changed


def _ensure_dir(path: Path, mode: int, owner: tuple[int, int] | None) -> bool:
    created = not path.is_dir()
    if created:
        path.mkdir(parents=True)
    return _ensure_meta(path, mode, owner) or created


def _ensure_file(path: Path, data: bytes, mode: int, owner: tuple[int, int] | None) -> bool:
    try:
        same = path.read_bytes() == data
    except FileNotFoundError:
        same = False
    if not same:
        atomic_write(path, data, mode)
    return _ensure_meta(path, mode, owner) or not same


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
        parse_public_key(pem.encode(), "a release public key")
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
