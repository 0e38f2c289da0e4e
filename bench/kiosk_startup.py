"""Kiosk cold start, tap-to-feedback latency and RSS, offscreen (goals: <= 2 s, <= 100 ms, <= 250 MB).

Cold start is measured in a fresh interpreter from process start to the first frame of
an interactive home screen (QML loaded, models bound, a frame rendered). Tap feedback is
the time from a mouse press on a home tile to the next rendered frame showing the pressed
state, then the screen change; repeated N times, p50/p95 reported. RSS is read from
/proc/self/status after the run. Not a pass/fail test: it prints numbers.

    .venv/bin/python bench/kiosk_startup.py [--taps 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(taps: int) -> dict[str, float]:
    t0 = time.perf_counter()
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["QT_QUICK_BACKEND"] = "software"
    from kiosk.services import keyboard

    data = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    keyboard.prepare(data / "run")
    from PySide6.QtCore import QEventLoop, QPointF, Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtQml import QQmlApplicationEngine
    from PySide6.QtTest import QTest

    from kiosk.app import load_ui
    from kiosk.core import Kiosk
    from kiosk.services.tts import RecordingSpeaker
    from kiosk.walk import demo_config, find

    app = QGuiApplication([])
    kiosk = Kiosk(demo_config(data), speaker=RecordingSpeaker(), online=False)
    engine = QQmlApplicationEngine()
    window = load_ui(kiosk, engine)
    frames: list[float] = []
    window.frameSwapped.connect(lambda: frames.append(time.perf_counter()))

    def wait_frame(after: float, limit_s: float = 2.0) -> float:
        deadline = time.perf_counter() + limit_s
        while time.perf_counter() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            later = [f for f in frames if f > after]
            if later:
                return later[0]
        return float("nan")

    first = wait_frame(0.0)
    cold = first - t0
    tile = find(window, "tile_guide")
    assert tile is not None
    pos = tile.mapToScene(QPointF(tile.width() / 2, tile.height() / 2)).toPoint()
    press, change = [], []
    for _ in range(taps):
        start = time.perf_counter()
        QTest.mousePress(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        press.append(wait_frame(start) - start)
        start = time.perf_counter()
        QTest.mouseRelease(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        change.append(wait_frame(start) - start)
        kiosk.nav.home()
        wait_frame(time.perf_counter())
    loop = QEventLoop()
    QTimer.singleShot(10, loop.quit)
    loop.exec()
    rss_kb = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmRSS")
    )

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20)[18] * 1000

    return {
        "cold_start_s": round(cold, 3),
        "tap_press_feedback_p50_ms": round(statistics.median(press) * 1000, 1),
        "tap_press_feedback_p95_ms": round(p95(press), 1),
        "tap_to_new_screen_p50_ms": round(statistics.median(change) * 1000, 1),
        "tap_to_new_screen_p95_ms": round(p95(change), 1),
        "rss_mb": round(rss_kb / 1024, 1),
        "taps": taps,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.taps)))
        return 0
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--taps", str(args.taps)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    goals = {"cold_start_s": 2.0, "tap_press_feedback_p95_ms": 100.0, "rss_mb": 250.0}
    for key, value in result.items():
        goal = goals.get(key)
        verdict = "" if goal is None else ("  ok" if value <= goal else f"  OVER goal {goal}")
        print(f"{key:28} {value}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
