"""The two flocks: the tree lock every changing command holds, and the kiosk's session lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator

from cunlink_release.errors import DeferredError
from cunlink_release.layout import Layout
from cunlink_release.settings import Settings


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
