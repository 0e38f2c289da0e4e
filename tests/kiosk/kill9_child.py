"""Child process for test_kill9: file an appeal against a hub that never answers, then wait to be killed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from kiosk.core import Kiosk
from kiosk.services.tts import RecordingSpeaker
from kiosk.walk import demo_config


def main() -> None:
    data, host, port = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    app = QGuiApplication(sys.argv[:1])
    kiosk = Kiosk(demo_config(data, host=host, port=port), speaker=RecordingSpeaker())
    kiosk.start()

    def submit() -> None:
        if not kiosk.sync.online:
            QTimer.singleShot(50, submit)
            return
        k = kiosk
        k.nav.go("appeal")
        k.appeal.chooseCategory("water")
        k.appeal.chooseVillage("bz-t01-v01")
        k.appeal.setText("自来水浑浊，三天了")
        k.appeal.toPhone()
        k.appeal.skipPhone()
        k.appeal.submit()
        # The receipt is on screen only now; the request is on disk (fsynced) and in flight.
        rid = k.store.query("SELECT id FROM outbox")[0]["id"]
        sys.stdout.write(f"SHOWN {rid} {k.receipt.code}\n")
        sys.stdout.flush()

    QTimer.singleShot(0, submit)
    app.exec()


main()
