"""The Qt Virtual Keyboard on a shared kiosk: no Pinyin learning, ever, and large keys.

Verified with PySide6 6.12: the Pinyin engine keeps a learning dictionary in
``$XDG_CONFIG_HOME/qtvirtualkeyboard/pinyin/usr_dict.dat`` *and in memory*. After one
villager composes 杨桂花 from "yangguihua", the next villager sees 杨桂花 as the
first candidate; ``VirtualKeyboardSettings.userDataReset()`` called from QML does
not clear it. Deleting the file between sessions is not enough either (the engine
holds it open). What works: a plain *file* named ``qtvirtualkeyboard`` where the
engine wants its directory, so it can never open a user dictionary (even as root)
and nothing is learned. The default (system) dictionary still gives candidates.

Large keys: ``QT_VIRTUALKEYBOARD_LAYOUT_PATH`` points at kiosk/qml/vkb/layouts (our own
zh_CN layouts) and ``QT_VIRTUALKEYBOARD_STYLE`` names the ``kiosk`` style, found under
kiosk/qml/vkb (``VKB_IMPORT_PATH``, which kiosk.app.load_ui adds to the QML engine).
Pinyin candidates are shown by kiosk/qml/vkb/CandidateBar.qml, paged by taps (the style
hides Qt's own bar, which only scrolls by swiping).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BLOCKER = "qtvirtualkeyboard"
VKB_DIR = Path(__file__).resolve().parents[1] / "qml" / "vkb"
VKB_IMPORT_PATH = VKB_DIR
LAYOUT_PATH = VKB_DIR / "layouts"
STYLE = "kiosk"


def prepare(run_dir: Path) -> Path:
    """Set the environment for the keyboard; call before QGuiApplication exists.

    Returns the private XDG_CONFIG_HOME. Everything Qt would remember per user
    goes there, is recreated empty at every start, and never reaches $HOME.
    """
    xdg = run_dir / "xdg"
    if xdg.exists():
        shutil.rmtree(xdg)
    xdg.mkdir(parents=True)
    (xdg / BLOCKER).write_bytes(b"")
    os.environ["XDG_CONFIG_HOME"] = str(xdg)
    os.environ["QT_IM_MODULE"] = "qtvirtualkeyboard"
    os.environ["QT_VIRTUALKEYBOARD_LAYOUT_PATH"] = str(LAYOUT_PATH)
    os.environ["QT_VIRTUALKEYBOARD_STYLE"] = STYLE
    return xdg


def learning_blocked(xdg: Path) -> bool:
    """Whether the Pinyin engine is still unable to create its user dictionary."""
    blocker = xdg / BLOCKER
    return blocker.is_file() and not blocker.is_dir()
