"""Re-reading the duty roster when its file changes, without a hub restart.

Township offices change duty lists every few weeks; Ansible (or a person) rewrites the
file and the hub notices on its next help-call round (every second) by the file's
mtime, size and inode - a rename into place changes the inode even within one mtime
tick. A valid new roster takes over at once; an invalid one is refused with its
file:line error logged, the roster in effect is kept (a typo must not leave villagers
with nobody on duty) and the refusal counts in ``cl_helpcall_roster_errors_total``
with ``cl_helpcall_roster_ok`` at 0 until a good file arrives.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from contract.configfile import ConfigError
from contract.fleet import Fleet
from hub.helpcalls.roster import Roster, load_roster

log = logging.getLogger(__name__)

Signature = tuple[int, int, int] | None


def signature(path: Path) -> Signature:
    """What tells one version of the file from the next (None: missing or unreadable)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def warn_unknown_areas(path: Path | None, roster: Roster, fleet: Fleet | None) -> None:
    """Log the villages and townships the roster names that the fleet does not know."""
    if fleet is None:
        return
    unknown = sorted(
        {v for v in roster.villages if v not in fleet.index.villages}
        | {t for t in roster.townships if t not in fleet.index.townships}
    )
    if unknown:
        log.warning("%s: roster names areas missing from the fleet: %s", path, ", ".join(unknown))


class RosterFile:
    """Tracks the roster file; :meth:`changed` is cheap (one stat), :meth:`load` reads it."""

    def __init__(self, path: Path | None, fleet: Fleet | None) -> None:
        self.path = path
        self.fleet = fleet
        self._seen: Signature = None if path is None else signature(path)
        self.errors = 0
        """Edits refused since start (invalid, missing or unreadable file)."""
        self.ok = True
        """Whether the roster in effect is the file's current content."""

    def changed(self) -> bool:
        """Whether the file differs from the last version looked at (the event loop may call it)."""
        return self.path is not None and signature(self.path) != self._seen

    def load(self) -> Roster | None:
        """The new roster, or None when the new file is refused (blocking: run it in a thread)."""
        assert self.path is not None
        self._seen = signature(self.path)
        try:
            roster = _read(self.path, self._seen)
        except ConfigError as exc:
            self.errors += 1
            self.ok = False
            log.error("roster not reloaded, the previous one stays in effect: %s", exc)  # noqa: TRY400
            return None
        self.ok = True
        log.info(
            "%s: roster reloaded (%d villages, %d townships)",
            self.path,
            len(roster.villages),
            len(roster.townships),
        )
        warn_unknown_areas(self.path, roster, self.fleet)
        return roster


def _read(path: Path, seen: Signature) -> Roster:
    if seen is not None and seen[1] == 0:
        # Most likely caught between truncate and write; clearing a roster takes `villages: {}`.
        msg = f"{path}: the roster file is empty"
        raise ConfigError(msg)
    return load_roster(path)
