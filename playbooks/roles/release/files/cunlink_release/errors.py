"""Exit codes, the errors every command raises, and the checks on names that become paths."""

from __future__ import annotations

import re
import sys

EXIT_OK = 0


EXIT_ERROR = 1


EXIT_USAGE = 2


EXIT_ROLLED_BACK = 3


EXIT_REFUSED = 65  # EX_DATAERR: what arrived is not what was signed


EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: try again later, the partial download is kept


EXIT_DEFERRED = 75  # EX_TEMPFAIL: not now (session, window, busy); not a failure


# Versions and names become file names; keep them to a safe alphabet with no "..".
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")


class ReleaseError(Exception):
    """A command could not do what it was asked; ``reason`` is a stable machine word."""

    exit_code = EXIT_ERROR
    reason = "error"
    #: Which part of a combined command failed ("fetch" in ``activate --fetch``), else None.
    step: str | None = None

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
