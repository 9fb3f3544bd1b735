"""Japanese days for the review page: the log stores UTC, staff think in JST days (UTC+9 all year).

Kept apart because the queue, the figures and the exports all turn stored moments into the days staff pick.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Optional, Tuple

from common.japan_time import JST


def utc(moment: datetime) -> datetime:
    """The log's times as aware UTC: SQLite hands them back naive (they were stored in UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def jst_day(moment: datetime) -> date:
    return utc(moment).astimezone(JST).date()


def jst_text(moment: Optional[datetime]) -> Optional[str]:
    return utc(moment).astimezone(JST).strftime("%Y-%m-%d %H:%M") if moment else None


def today_jst(now: Optional[datetime] = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(JST).date()


def day_bounds(start: Optional[date], end: Optional[date]) -> Tuple[Optional[datetime], Optional[datetime]]:
    """[first instant of ``start``, first instant after ``end``) in UTC, for JST days (either may be open)."""
    low = datetime.combine(start, time(0), JST).astimezone(timezone.utc) if start else None
    high = datetime.combine(end + timedelta(days=1), time(0), JST).astimezone(timezone.utc) if end else None
    return low, high
