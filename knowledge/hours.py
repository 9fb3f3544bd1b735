"""Opening hours as data that can be evaluated: is a desk open at a Japan-time moment, and when next.

Public holidays come from ``jpholiday`` (maintained, follows law changes), the year-end closure
from calendar.yml. Closures the guide names without dates (e.g. アスパム休館日) cannot be evaluated;
they are returned as caveats for the caller to mention.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Dict, Optional, Tuple

import jpholiday

from common.japan_time import JST
from common.settings import DAY_NAMES

SEARCH_DAYS = 14  # the longest closure (年末年始 + a weekend + holidays) is well under two weeks


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _parse_month_day(value: str) -> Tuple[int, int]:
    month, day = value.split("-")
    return int(month), int(day)


@dataclass(frozen=True)
class YearEnd:
    """The closure from ``start`` (month, day) to ``end`` (month, day) of the next year, inclusive."""

    start: Tuple[int, int]
    end: Tuple[int, int]

    @classmethod
    def from_setting(cls, value: Dict[str, str]) -> "YearEnd":
        return cls(_parse_month_day(value["start"]), _parse_month_day(value["end"]))

    def contains(self, day: date) -> bool:
        month_day = (day.month, day.day)
        return month_day >= self.start or month_day <= self.end


@dataclass(frozen=True)
class OpeningHours:
    text: str
    days: Optional[Tuple[str, ...]]
    opens: time
    closes: time
    closed_on_holidays: bool
    closed_year_end: bool
    other_closures: Tuple[str, ...]

    @classmethod
    def from_data(cls, data: Dict[str, Any]) -> "OpeningHours":
        return cls(
            text=data["text"], days=tuple(data["days"]) if data.get("days") is not None else None,
            opens=_parse_time(data["open"]), closes=_parse_time(data["close"]),
            closed_on_holidays=data["closed_on_holidays"], closed_year_end=data["closed_year_end"],
            other_closures=tuple(data.get("other_closures") or ()),
        )

    def is_open_day(self, day: date, year_end: YearEnd) -> Optional[bool]:
        """None when the guide names no days (e.g. a satellite desk held on some days only)."""
        if self.days is None:
            return None
        if DAY_NAMES[day.weekday()] not in self.days:
            return False
        if self.closed_on_holidays and jpholiday.is_holiday(day):
            return False
        if self.closed_year_end and year_end.contains(day):
            return False
        return True

    def is_open(self, moment: datetime, year_end: YearEnd) -> Optional[bool]:
        """Open while ``opens <= t < closes`` on an open day; None when it cannot be known."""
        local = to_japan_time(moment)
        open_day = self.is_open_day(local.date(), year_end)
        if open_day is None:
            return None
        return open_day and self.opens <= local.time().replace(tzinfo=None) < self.closes

    def next_opening(self, moment: datetime, year_end: YearEnd) -> Optional[datetime]:
        """The next moment the desk opens (``moment`` itself excluded if already open), or None."""
        local = to_japan_time(moment)
        for offset in range(SEARCH_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            if not self.is_open_day(day, year_end):
                continue
            opening = datetime.combine(day, self.opens, tzinfo=JST)
            if opening > local:
                return opening
        return None


def to_japan_time(moment: datetime) -> datetime:
    """Aware moments are converted; naive ones are taken to be Japan time already."""
    return moment.astimezone(JST) if moment.tzinfo else moment.replace(tzinfo=JST)
