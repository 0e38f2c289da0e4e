"""``cunlink kiosk --config FILE [--simulate N]``: the kiosk process.

Order matters: the keyboard's private XDG dir and QT_IM_MODULE must be set before
QGuiApplication exists. A broken config does not crash-loop the unit: the kiosk
starts in safe mode ("设备维护中") and logs the file:line error for the helper.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow

from contract.configfile import ConfigError
from kiosk.config import KioskConfig, load
from kiosk.core import Kiosk
from kiosk.models.idle import ActivityFilter
from kiosk.services import keyboard
from kiosk.services.recorder import ScriptedRecorder
from kiosk.services.watchdog import Watchdog

QML_DIR = Path(__file__).with_name("qml")
log = logging.getLogger("kiosk")


def load_ui(kiosk: Kiosk, engine: QQmlApplicationEngine, qml: str = "Main.qml") -> QQuickWindow:
    """Bind the models and load the window; raise RuntimeError when QML fails to load."""
    engine.addImportPath(str(keyboard.VKB_IMPORT_PATH))  # the large-key keyboard style
    for name, obj in kiosk.context().items():
        engine.rootContext().setContextProperty(name, obj)
    engine.load(QUrl.fromLocalFile(str(QML_DIR / qml)))
    roots = engine.rootObjects()
    if not roots or not isinstance(roots[0], QQuickWindow):
        msg = f"could not load {qml}"
        raise RuntimeError(msg)
    window: QQuickWindow = roots[0]
    window.resize(kiosk.cfg.ui.width, kiosk.cfg.ui.height)
    return window


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cunlink kiosk", description="Run the village service-station kiosk."
    )
    parser.add_argument("--config", type=Path, required=True, help="kiosk YAML config")
    parser.add_argument(
        "--simulate",
        type=int,
        nargs="?",
        const=-1,
        metavar="N",
        help="drive the kiosk with scripted villagers (N sessions, default: forever)",
    )
    parser.add_argument("--windowed", action="store_true", help="not full screen (development)")
    return parser


def _quit_on_sigterm(app: QCoreApplication) -> QTimer:
    """systemd stops the kiosk with SIGTERM: leave the event loop so DEATH is sent and the DB closed.

    Python runs signal handlers only between bytecodes, so a slow timer wakes it up.
    """
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(300)
    return wake


def _safe_mode(error: str) -> int:
    """Show a maintenance screen instead of crash-looping on a broken config."""
    log.error("config error, starting in safe mode:\n%s", error)
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    wake = _quit_on_sigterm(app)
    engine = QQmlApplicationEngine()
    engine.rootContext().setContextProperty("safeError", error)
    engine.load(QUrl.fromLocalFile(str(QML_DIR / "SafeMode.qml")))
    watchdog = Watchdog()
    watchdog.ready()
    code = int(app.exec())
    del wake, engine
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cunlink kiosk``."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        cfg: KioskConfig = load(args.config)
    except ConfigError as exc:
        keyboard.prepare(Path(tempfile.mkdtemp(prefix="kiosk-safe-")))
        return _safe_mode(str(exc))
    keyboard.prepare(cfg.kiosk.data_dir / "run")
    os.environ.setdefault("QT_QUICK_BACKEND", "software")  # no GPU assumed in village hardware
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false")
    app = QGuiApplication(sys.argv[:1])
    wake = _quit_on_sigterm(app)
    # Scripted villagers have no microphone: their voice notes come from a scripted recorder.
    recorder = ScriptedRecorder() if args.simulate is not None else None
    kiosk = Kiosk(cfg, recorder=recorder)
    activity = ActivityFilter(kiosk.idle)
    app.installEventFilter(activity)
    engine = QQmlApplicationEngine()
    window = load_ui(kiosk, engine)
    if cfg.ui.fullscreen and not args.windowed:
        window.setFlag(Qt.WindowType.FramelessWindowHint, True)
        window.showFullScreen()
    watchdog = Watchdog()
    kiosk.start()
    watchdog.ready()
    simulator: QObject | None = None
    if args.simulate is not None:
        from kiosk.simulate import Villagers

        simulator = Villagers(kiosk, sessions=args.simulate, on_done=app.quit)
        QTimer.singleShot(500, simulator.start)
    code = int(app.exec())
    kiosk.stop()
    del simulator, engine, wake
    return code
