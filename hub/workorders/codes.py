"""Public receipt codes and media references: the two strings from outside that need a format.

Receipt codes use Crockford base32 (no I, L, O, U) like the kiosk's, so a code read
aloud or copied by hand cannot be confused with a digit. A kiosk prints a 6-symbol code
at once, even offline, and the hub adopts it when free; codes the hub assigns itself have
8 symbols, so they can never collide with a code a kiosk will print later.

Media (a voice note, a photo) travel separately from the appeal; the appeal only carries
a reference, in one of two forms:

- ``kiosk://{node}/{voice|photo}/{name}.{type}[?bytes=N]``: the file waits in that kiosk's
  outbox (what kiosk/services/voice_files.py writes). It must name the sending kiosk and
  the right kind; with ``?bytes=`` the size is checked now, otherwise at upload.
- ``{type}:{bytes}:{sha256}`` (e.g. ``opus:48211:9f86d0...``): content-addressed, from
  other channels; the size is always checked.

Either way an unexpected type or an oversize file is refused before anyone fetches it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
HUB_CODE_LENGTH = 8
_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{6,8}$")
_FIX = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
_MEDIA = re.compile(r"^(?P<type>[a-z0-9]{2,8}):(?P<size>[0-9]{1,12}):(?P<digest>[0-9a-f]{64})$")
_KIOSK_MEDIA = re.compile(
    r"^kiosk://(?P<node>[A-Za-z0-9][A-Za-z0-9._-]{0,63})/(?P<kind>voice|photo)/"
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9_-]{0,63})\.(?P<type>[a-z0-9]{2,8})(?:\?bytes=(?P<size>[0-9]{1,12}))?$"
)


def new_code(length: int = HUB_CODE_LENGTH) -> str:
    """A fresh random code (40 bits at 8 symbols); the caller checks it is free."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def normalise(text: str) -> str:
    """What a person typed, as a code: upper case, O->0, I/L->1, no dashes or spaces."""
    return text.strip().upper().translate(_FIX)


def valid_code(code: str) -> bool:
    """Whether ``code`` is a 6-8 symbol Crockford code (after :func:`normalise`)."""
    return bool(_CODE.match(code))


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A parsed media reference; ``size`` is None when not declared yet (checked at upload)."""

    type: str
    size: int | None
    digest: str | None = None
    node: str | None = None


class MediaError(ValueError):
    """A media reference that is malformed, of a type not accepted, or too large."""


def parse_media(
    ref: str, *, kind: str, types: list[str], max_bytes: int, node: str | None = None
) -> MediaRef:
    """Check a voice or photo reference against the rules' limits (and, for kiosk://, its owner)."""
    local = _KIOSK_MEDIA.match(ref)
    plain = _MEDIA.match(ref)
    if local is not None:
        if local["kind"] != kind:
            msg = f"{kind} reference {ref[:80]!r} points at a {local['kind']} file"
            raise MediaError(msg)
        if node is not None and local["node"] != node:
            msg = f"{kind} reference {ref[:80]!r} names another kiosk's file"
            raise MediaError(msg)
        media = MediaRef(local["type"], int(local["size"]) if local["size"] else None, node=local["node"])
    elif plain is not None:
        media = MediaRef(plain["type"], int(plain["size"]), plain["digest"])
    else:
        msg = f"{kind} reference {ref[:80]!r} is neither kiosk://... nor {{type}}:{{bytes}}:{{sha256 hex}}"
        raise MediaError(msg)
    if media.type not in types:
        msg = f"{kind} type {media.type!r} is not accepted (use {', '.join(types)})"
        raise MediaError(msg)
    if media.size is not None and media.size > max_bytes:
        msg = f"{kind} is {media.size} bytes, more than the {max_bytes} allowed"
        raise MediaError(msg)
    if media.size == 0:
        msg = f"{kind} is empty"
        raise MediaError(msg)
    return media
