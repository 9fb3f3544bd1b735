"""Staffed hours: when a person can take a conversation over from the assistant.

Data, not code: ``staffed_hours`` in knowledge/calendar.yml (the call center's hours, a team decision, not from the
guide), evaluated in Japan time by knowledge/hours.py, the same as a desk's hours: public holidays from ``jpholiday``
and the year-end closure from the same file. ``HANDOVER_STAFFED_HOURS`` (common/settings.py) replaces the days and
times; the closures apply either way.

Whether anyone is actually at the console is another question: :meth:`handover.store.HandoverStore.on_duty`.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Tuple

import yaml

from common.settings import DAY_NAMES, WeeklyHours, settings
from knowledge import schema
from knowledge.hours import JST, OpeningHours, YearEnd, to_japan_time

CALENDAR = Path(schema.__file__).resolve().parent / "calendar.yml"
JAPANESE_DAYS = dict(zip(DAY_NAMES, "月火水木金土日"))


@lru_cache(maxsize=1)
def _calendar() -> Tuple[OpeningHours, YearEnd]:
    """calendar.yml's staffed hours and year-end closure, checked against the knowledge schema (read once)."""
    calendar = schema.Calendar.model_validate(yaml.safe_load(CALENDAR.read_text(encoding="utf-8")))
    return (OpeningHours.from_data(calendar.staffed_hours.model_dump()),
            YearEnd.from_setting(calendar.year_end.model_dump()))


def _text(weekly: WeeklyHours) -> str:
    """The hours as staff write them: 「平日8：30～17：15」, 「月・水・金9：00～12：00」."""
    days = "平日" if weekly.days == DAY_NAMES[:5] else "・".join(JAPANESE_DAYS[day] for day in weekly.days)
    return (f"{days}{weekly.opens.hour}：{weekly.opens:%M}～{weekly.closes.hour}：{weekly.closes:%M}"
            "（祝日・年末年始を除く）")


def staffed_hours() -> OpeningHours:
    """The staffed hours now in force: calendar.yml's, with the days and times of ``HANDOVER_STAFFED_HOURS`` when it
    is set (read on each call, like every setting)."""
    hours, _ = _calendar()
    weekly = settings().handover_staffed_hours
    if weekly is None:
        return hours
    return dataclasses.replace(hours, text=_text(weekly), days=weekly.days, opens=weekly.opens,
                               closes=weekly.closes)


def is_staffed(moment: datetime) -> bool:
    """Whether ``moment`` falls in the staffed hours (``opens <= t < closes`` on a staffed day, in Japan time;
    a naive moment is taken to be Japan time, as in knowledge/hours.py)."""
    return bool(staffed_hours().is_open(moment, _calendar()[1]))


def next_staffed(moment: datetime) -> datetime:
    """When a person can next take a conversation: ``moment`` itself (in Japan time) while staffed, else the start of
    the next staffed period. Aware, in Japan time (+09:00)."""
    local = to_japan_time(moment)
    if is_staffed(local):
        return local
    opening = staffed_hours().next_opening(local, _calendar()[1])
    if opening is None:  # the days are never empty, and no closure lasts two weeks: a broken calendar
        raise RuntimeError(f"no staffed hours within two weeks of {local.isoformat()}")
    return opening.astimezone(JST)
