"""Voice notes and photos that kiosks send in MediaChunk requests (docs/workorders.md, "Media").

Each chunk is its own request (de-duplicated on its client id by intake). Chunks are kept
in ``media_chunks`` until every piece of a ref is in; then the file is assembled, its size
and sha256 checked against what the kiosk declared, and stored whole in ``media``. A work
order shows the file whose ref equals its appeal's ``voice_ref``/``photo_ref``, so media
may arrive before or after the appeal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import sqlite_utils

from contract import payloads as p
from hub.workorders import codes
from hub.workorders.orders import Reject
from hub.workorders.rules import Limits


def store_chunk(db: sqlite_utils.Database, limits: Limits, node: str, body: p.MediaChunk, now: float) -> str:
    """Keep one chunk (and assemble the file when it was the last); returns the reply's detail.

    Raises Reject for a chunk that does not fit the contract, the rules or the other chunks
    of its ref, and for a complete file whose size or sha256 differs from the declared.
    """
    _check(limits, node, body)
    if next(iter(db.query("SELECT 1 AS x FROM media WHERE ref = ?", [body.ref])), None) is not None:
        return "complete"  # a late re-send of a file we already have
    data = _decode(body)
    same = list(
        db.query(
            "SELECT DISTINCT node, media, mime, size, sha256, chunks FROM media_chunks WHERE ref = ?",
            [body.ref],
        )
    )
    declared = {
        "node": node,
        "media": body.media,
        "mime": body.mime,
        "size": body.size,
        "sha256": body.sha256,
        "chunks": body.chunks,
    }
    if any(dict(row) != declared for row in same):
        raise Reject("bad_media", f"chunk {body.chunk} of {body.ref[:80]!r} disagrees with its other chunks")
    db.execute(
        "INSERT OR IGNORE INTO media_chunks (ref, chunk, node, media, mime, size, sha256, chunks, data,"
        " received) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [body.ref, body.chunk, node, body.media, body.mime, body.size, body.sha256, body.chunks, data, now],
    )
    have = int(next(iter(db.query("SELECT COUNT(*) AS n FROM media_chunks WHERE ref = ?", [body.ref])))["n"])
    if have < body.chunks:
        return f"chunk {body.chunk + 1}/{body.chunks}"
    whole = b"".join(
        bytes(r["data"])
        for r in db.query("SELECT data FROM media_chunks WHERE ref = ? ORDER BY chunk", [body.ref])
    )
    if len(whole) != body.size:
        raise Reject("bad_media", f"{body.ref[:80]!r} is {len(whole)} bytes, not the declared {body.size}")
    if hashlib.sha256(whole).hexdigest() != body.sha256:
        raise Reject(
            "bad_media", f"{body.ref[:80]!r}: sha256 of the assembled file differs from the declared"
        )
    db.execute(
        "INSERT INTO media (ref, node, media, mime, size, sha256, data, created) VALUES (?,?,?,?,?,?,?,?)",
        [body.ref, node, body.media, body.mime, body.size, body.sha256, whole, now],
    )
    db.execute("DELETE FROM media_chunks WHERE ref = ?", [body.ref])
    return "complete"


def _check(limits: Limits, node: str, body: p.MediaChunk) -> None:
    if body.media == "voice":
        types, max_bytes, family = limits.voice_types, limits.voice_bytes, "audio/"
    else:
        types, max_bytes, family = limits.photo_types, limits.photo_bytes, "image/"
    try:
        codes.parse_media(body.ref, kind=body.media, types=types, max_bytes=max_bytes, node=node)
    except codes.MediaError as exc:
        raise Reject("bad_media", str(exc)) from None
    if not body.ref.startswith("kiosk://"):
        raise Reject("bad_media", f"{body.ref[:80]!r}: only kiosk:// references are uploaded in chunks")
    if not body.mime.startswith(family):
        raise Reject("bad_media", f"a {body.media} must be {family}*, not {body.mime!r}")
    limit = min(max_bytes, p.MAX_MEDIA_BYTES)
    if body.size > limit:
        raise Reject("too_large", f"{body.media} is {body.size} bytes, more than the {limit} allowed")
    expected = -(-body.size // p.MEDIA_CHUNK_BYTES)
    if body.chunks != expected or body.chunk >= body.chunks:
        raise Reject(
            "bad_media", f"chunk {body.chunk} of {body.chunks}: {body.size} bytes make {expected} chunks"
        )


def _decode(body: p.MediaChunk) -> bytes:
    try:
        data = base64.b64decode(body.data, validate=True)
    except (binascii.Error, ValueError):
        raise Reject("bad_media", f"chunk {body.chunk} of {body.ref[:80]!r} is not base64") from None
    last = body.chunk == body.chunks - 1
    want = body.size - (body.chunks - 1) * p.MEDIA_CHUNK_BYTES if last else p.MEDIA_CHUNK_BYTES
    if len(data) != want:
        raise Reject(
            "bad_media", f"chunk {body.chunk} of {body.ref[:80]!r} has {len(data)} bytes, not {want}"
        )
    return data


def for_order(db: sqlite_utils.Database, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The complete files attached to ``order`` (no data): media, mime, size, sha256."""
    out: list[dict[str, Any]] = []
    for kind in ("voice", "photo"):
        ref = order.get(f"{kind}_ref")
        if ref:
            out.extend(
                dict(r)
                for r in db.query("SELECT ref, media, mime, size, sha256 FROM media WHERE ref = ?", [ref])
            )
    return out


def data(db: sqlite_utils.Database, ref: str) -> tuple[str, bytes] | None:
    """The mime type and bytes of the complete file ``ref``."""
    row = next(iter(db.query("SELECT mime, data FROM media WHERE ref = ?", [ref])), None)
    return None if row is None else (str(row["mime"]), bytes(row["data"]))
