"""The status line every screen shows: place, connection and what is still waiting to upload.

Offline first means being honest: "3 件待上传" is on screen whenever something a
villager submitted has not reached the hub yet.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal

from kiosk.config import KioskSection
from kiosk.services.sync import Sync


class StatusBar(QObject):
    """Place label, online/offline and pending count."""

    changed = Signal()

    def __init__(self, kiosk: KioskSection, sync: Sync, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kiosk = kiosk
        self.sync = sync
        sync.onlineChanged.connect(self.changed)
        sync.depthChanged.connect(self.changed)

    @Property(str, constant=True)
    def place(self) -> str:
        """巴州区 兴隆镇 兴隆村."""
        return f"{self.kiosk.county} {self.kiosk.township.name} {self.kiosk.village.name}"

    @Property(bool, notify=changed)
    def online(self) -> bool:
        """Whether the hub is reachable."""
        return self.sync.online

    @Property(int, notify=changed)
    def pending(self) -> int:
        """Submissions waiting for the hub."""
        return self.sync.outbox.depth()

    @Property(str, notify=changed)
    def text(self) -> str:
        """The status line: words, not only a colour (MIIT 1.4)."""
        link = "网络正常" if self.sync.online else "网络不通，可以照常办理"
        waiting = self.sync.outbox.depth()
        return f"{link}　{waiting}件待上传" if waiting else link
