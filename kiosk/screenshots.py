"""``python -m kiosk.screenshots OUTDIR``: a PNG of every screen, standard and elder mode,
landscape (1920x1080) and portrait (1080x1920).

Runs offscreen with an offline kiosk and a throwaway data dir, drives the models
to each screen (the same walk as tests/kiosk/test_ui_targets.py) and grabs the
window. File names: ``<orientation>-<mode>-<nn>-<screen>.png``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots; print where they went."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m kiosk.screenshots OUTDIR\n")
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_QUICK_BACKEND", "software")
    from kiosk.services import keyboard

    data = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    keyboard.prepare(data / "run")
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtQml import QQmlApplicationEngine

    from kiosk.app import load_ui
    from kiosk.core import Kiosk
    from kiosk.services.recorder import ScriptedRecorder
    from kiosk.services.tts import RecordingSpeaker
    from kiosk.walk import ORIENTATIONS, demo_config, walk

    app = QGuiApplication(sys.argv[:1])
    kiosk = Kiosk(demo_config(data), speaker=RecordingSpeaker(), recorder=ScriptedRecorder(), online=False)
    engine = QQmlApplicationEngine()
    window = load_ui(kiosk, engine)
    count = 0
    for orientation in ORIENTATIONS:
        for mode, index, name in walk(kiosk, app, window, orientation):
            window.grabWindow().save(str(out / f"{orientation}-{mode}-{index:02d}-{name}.png"))
            count += 1
    kiosk.stop()
    del engine
    sys.stdout.write(f"{count} screenshots in {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
