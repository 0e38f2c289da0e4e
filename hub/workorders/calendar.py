"""Working days for deadlines: 12345 time limits are counted in working days, in China time.

A deadline of N working days runs from the day after receipt: an appeal received on a
Friday with 3 working days is due at the end of Wednesday. Weekends do not count, public
holidays (on weekdays) do not count, and weekend make-up days (调休) do. The deadline is
the end of the last day, local time, so "due today" means until midnight.
"""

from __future__ import annotations

import datetime as dt

from hub.workorders.rules import Calendar

_DAY = dt.timedelta(days=1)
#: Enough to find the next working day across any real holiday run (the longest is ~9 days).
_MAX_SCAN = 60


class WorkCalendar:
    """Answers "which day is a working day" and "when is N working days from now"."""

    def __init__(self, calendar: Calendar) -> None:
        self.tz = dt.timezone(dt.timedelta(hours=calendar.utc_offset_hours))
        self._holidays = frozenset(calendar.holidays)
        self._workdays = frozenset(calendar.workdays)

    def local_date(self, ts: float) -> dt.date:
        """The local calendar date of an epoch time."""
        return dt.datetime.fromtimestamp(ts, self.tz).date()

    def is_workday(self, day: dt.date) -> bool:
        """Monday-Friday unless a holiday; Saturday/Sunday only when a make-up day."""
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5

    def deadline(self, start: float, days: int) -> float:
        """End (local midnight) of the ``days``-th working day after the day of ``start``."""
        day = self.local_date(start)
        left = days
        scanned = 0
        while left > 0:
            day += _DAY
            scanned += 1
            if self.is_workday(day):
                left -= 1
            elif scanned > days + _MAX_SCAN:
                break  # a calendar with no working days at all: do not loop forever
        end = dt.datetime.combine(day + _DAY, dt.time(), self.tz)
        return end.timestamp()

    def working_days_left(self, now: float, deadline: float) -> int:
        """Working days from today until the deadline's day, today included; <= 0 once overdue."""
        today = self.local_date(now)
        last = self.local_date(deadline - 1)
        if last < today:
            count = 0
            day = last
            while day < today:
                day += _DAY
                if self.is_workday(day):
                    count -= 1
            return count
        count = 0
        day = today
        while day <= last:
            if self.is_workday(day):
                count += 1
            day += _DAY
        return count

    def iso(self, ts: float) -> str:
        """RFC 3339 in local time with its offset (Open311 wants the zone stated)."""
        return dt.datetime.fromtimestamp(ts, self.tz).isoformat(timespec="seconds")

    def short(self, ts: float) -> str:
        """``2026-11-29 14:05`` for the console."""
        return dt.datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%d %H:%M")
