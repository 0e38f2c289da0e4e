"""Work-order states as villagers read them (12345 flow: 受理 -> 派单 -> 签收 -> 办理 -> 办结 -> 回访)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

_CHINA = timezone(timedelta(hours=8))

LABELS: dict[str, str] = {
    "pending": "还没上传，网络恢复后自动上传",
    "received": "已受理，等待派单",
    "open": "已受理，正在处理",
    "dispatched": "已派给负责的部门",
    "accepted": "部门已签收",
    "in_progress": "正在办理",
    "resolved": "已办结",
    "closed": "已办结",
    "callback": "已办结，等待回访",
    "withdrawn": "已撤回",
    "rejected": "未能受理，请找村干部",
}


def label(status: str) -> str:
    """The Chinese label of ``status``; unknown states are shown honestly, not hidden."""
    return LABELS.get(status, f"状态：{status}")


def china_date(ms: int) -> str:
    """``11月29日`` in China time for a UTC millisecond timestamp (what villagers read)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(_CHINA)
    return f"{moment.month}月{moment.day}日"
