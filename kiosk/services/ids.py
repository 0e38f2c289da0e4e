"""Request ids and villager-facing receipt codes.

Both use Crockford base32 (no I, L, O, U), so a code read aloud or copied by hand
by an elderly villager cannot be confused with a digit.
"""

from __future__ import annotations

import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FIX = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def request_id() -> str:
    """A fresh client id for a Request: 16 symbols = 80 random bits, reused on every retry."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(16))


def receipt_code() -> str:
    """A 6-symbol lookup code (30 bits) shown to the villager and put in the QR."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(6))


def normalise_code(text: str) -> str:
    """What the villager typed, as a code: upper case, O->0 and I/L->1, no dashes or spaces."""
    return text.upper().translate(_FIX)


def qr_payload(code: str) -> str:
    """The only thing a receipt QR holds: the scheme tag and the lookup code, no personal data."""
    return f"CL1:{code}"
