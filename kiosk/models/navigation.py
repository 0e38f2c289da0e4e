"""Screens, the home tiles and the back stack. Every service is one tap from home.

Tap budget (issue 6: every service within 3 taps): home tile (1) -> list entry
(2) -> detail or action (3). tests/kiosk/test_navigation.py walks this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Property, QObject, Signal, Slot


@dataclass(frozen=True, slots=True)
class Screen:
    """One screen: its title, what it says when read aloud, and its idle profile."""

    name: str
    title: str
    spoken: str
    idle: str  # see models.idle.PROFILES


SCREENS: dict[str, Screen] = {
    s.name: s
    for s in (
        Screen("home", "村便民服务站", "您好，欢迎使用村便民服务。请点您要办的事。", "home"),
        Screen("guide", "办事指南", "请选择要办的事情的种类。", "browse"),
        Screen("guide_items", "办事指南", "请选择要办的事情。", "browse"),
        Screen("guide_item", "办事指南", "", "browse"),
        Screen("appeal", "我要反映", "请选择您要反映的事情。", "form"),
        Screen("receipt", "回执", "", "receipt"),
        Screen("lookup", "查询进度", "请输入回执上的查询码，然后点查询。", "form"),
        Screen("rating", "服务评价", "请点一个表情，给这次服务打分。", "browse"),
        Screen("surveys", "村务投票", "请选择要参加的投票或意见征集。", "browse"),
        Screen("survey", "村务投票", "", "browse"),
        Screen("notices", "通知公告", "请选择要看的通知。", "browse"),
        Screen("notice", "通知公告", "", "browse"),
        Screen("weather", "天气农事", "", "browse"),
        Screen("health", "健康知识", "请选择要看的健康知识。", "browse"),
        Screen("assist", "代办登录", "代办员请输入工作码。", "form"),
    )
}

#: The home tiles, in reading order: (screen, label, colour token, icon glyph).
TILES: tuple[tuple[str, str, str, str], ...] = (
    ("guide", "办事指南", "blue", "书"),
    ("appeal", "我要反映", "red", "说"),
    ("lookup", "查询进度", "teal", "查"),
    ("rating", "服务评价", "green", "评"),
    ("surveys", "村务投票", "purple", "投"),
    ("notices", "通知公告", "brown", "告"),
    ("weather", "天气农事", "slate", "农"),
    ("health", "健康知识", "teal", "医"),
)


class Navigation(QObject):
    """The current screen and a back stack; home clears the stack."""

    changed = Signal()
    entered = Signal(str)  # screen name, after every change

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stack: list[str] = ["home"]

    @property
    def current(self) -> Screen:
        """The screen on top."""
        return SCREENS[self._stack[-1]]

    @Property(str, notify=changed)
    def screen(self) -> str:
        """Name of the current screen (QML picks the view file from it)."""
        return self._stack[-1]

    @Property(str, notify=changed)
    def view(self) -> str:
        """QML file of the current screen: guide_items -> screens/GuideItemsScreen.qml."""
        name = "".join(part.capitalize() for part in self._stack[-1].split("_"))
        return f"screens/{name}Screen.qml"

    @Property(str, notify=changed)
    def title(self) -> str:
        """Title for the top bar."""
        return self.current.title

    @Property(bool, notify=changed)
    def canGoBack(self) -> bool:
        """Whether 返回 makes sense."""
        return len(self._stack) > 1

    @Property(list, constant=True)
    def tiles(self) -> list[dict[str, str]]:
        """The home tiles."""
        return [{"screen": s, "label": label, "color": c, "glyph": g} for s, label, c, g in TILES]

    @Slot(str)
    def go(self, name: str) -> None:
        """Open screen ``name`` on top of the current one."""
        if name not in SCREENS:
            msg = f"unknown screen {name!r}"
            raise ValueError(msg)
        if name == "home":
            self.home()
            return
        if self._stack[-1] != name:
            self._stack.append(name)
        self._changed()

    @Slot()
    def back(self) -> None:
        """返回: one screen back."""
        if len(self._stack) > 1:
            self._stack.pop()
            self._changed()

    @Slot()
    def home(self) -> None:
        """首页."""
        self._stack = ["home"]
        self._changed()

    def replace(self, name: str) -> None:
        """Swap the top screen (e.g. appeal -> receipt, so 返回 does not reopen a sent form)."""
        self._stack[-1] = name
        self._changed()

    def _changed(self) -> None:
        self.changed.emit()
        self.entered.emit(self._stack[-1])
