"""Privacy of the Qt Virtual Keyboard: no Pinyin learning, ever, on a shared kiosk.

Verified with PySide6 6.12: the Pinyin engine keeps a learning dictionary in
``$XDG_CONFIG_HOME/qtvirtualkeyboard/pinyin/usr_dict.dat`` *and in memory*. After one
villager composes 杨桂花 from "yangguihua", the next villager sees 杨桂花 as the
first candidate; ``VirtualKeyboardSettings.userDataReset()`` called from QML does
not clear it. Deleting the file between sessions is not enough either (the engine
holds it open). What works: a plain *file* named ``qtvirtualkeyboard`` where the
engine wants its directory, so it can never open a user dictionary (even as root)
and nothing is learned. The default (system) dictionary still gives candidates.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BLOCKER = "qtvirtualkeyboard"


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
    return xdg


def learning_blocked(xdg: Path) -> bool:
    """Whether the Pinyin engine is still unable to create its user dictionary."""
    blocker = xdg / BLOCKER
    return blocker.is_file() and not blocker.is_dir()
