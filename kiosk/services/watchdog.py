"""systemd notify protocol (READY=1, WATCHDOG=1) without a dependency.

The ping comes from a QTimer on the GUI thread on purpose: if the event loop
freezes (a blocking call, a QML deadlock) the pings stop and systemd's
WatchdogSec restarts the kiosk. Outside systemd (no NOTIFY_SOCKET) it is a no-op.
"""

from __future__ import annotations

import os
import socket

from PySide6.QtCore import QObject, QTimer


def notify(message: str, environ: dict[str, str] | None = None) -> bool:
    """Send one notify datagram; False when not run under systemd."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError:
            return False
    return True


class Watchdog(QObject):
    """Pings systemd at half of WATCHDOG_USEC from the GUI thread."""

    def __init__(self, parent: QObject | None = None, environ: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self._env = dict(os.environ if environ is None else environ)
        self.pings = 0
        self._timer = QTimer(self)
        usec = int(self._env.get("WATCHDOG_USEC", "0") or 0)
        self.interval_ms = max(1000, usec // 2000) if usec else 0
        self._timer.timeout.connect(self.ping)

    def ready(self) -> None:
        """Tell systemd the home screen is up, then start pinging."""
        notify("READY=1", self._env)
        if self.interval_ms:
            self._timer.start(self.interval_ms)

    def ping(self) -> None:
        """One WATCHDOG=1."""
        if notify("WATCHDOG=1", self._env):
            self.pings += 1
