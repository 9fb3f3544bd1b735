"""Staffed hours (handover/hours.py): knowledge/calendar.yml's ``staffed_hours`` in Japan time, with jpholiday's public
holidays and the year-end closure, and ``HANDOVER_STAFFED_HOURS`` replacing its days and times.

The clock is moved with time-machine where a test reads the wall clock, to a UTC destination so that the process's
local time zone is UTC, as on the servers (see tests/unit/test_clock.py).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
import time_machine

from common.settings import WEEKLY_HOURS_EXPECTED, SettingsError
from handover import contract
from handover.hours import is_staffed, next_staffed, staffed_hours
from knowledge.hours import JST


@pytest.fixture(autouse=True)
def calendar_hours(monkeypatch):
    """calendar.yml's hours, whatever the machine's environment says."""
    monkeypatch.delenv("HANDOVER_STAFFED_HOURS", raising=False)


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def test_the_calendar_says_weekdays_0830_to_1715_closed_on_holidays_and_at_the_year_end():
    hours = staffed_hours()
    assert hours.days == ("mon", "tue", "wed", "thu", "fri")
    assert (hours.opens, hours.closes) == (time(8, 30), time(17, 15))
    assert hours.closed_on_holidays and hours.closed_year_end
    assert hours.text == "平日8：30～17：15（土日祝日・年末年始を除く）"


@pytest.mark.parametrize("moment", [
    jst(2026, 11, 27, 10, 0),   # Friday morning
    jst(2026, 11, 27, 8, 30),   # the opening moment
    jst(2026, 11, 27, 17, 14),  # a minute before closing
    jst(2026, 11, 24, 9, 0),    # Tuesday after 勤労感謝の日
    jst(2026, 12, 28, 17, 0),   # the last working day of the year
    jst(2027, 1, 4, 8, 30),     # the first working day of the year
])
def test_a_weekday_during_hours_is_staffed(moment):
    assert is_staffed(moment)
    assert next_staffed(moment) == moment  # staff are there now


@pytest.mark.parametrize("moment, opens", [
    (jst(2026, 11, 27, 8, 29), jst(2026, 11, 27, 8, 30)),   # a minute before opening: the same morning
    (jst(2026, 11, 27, 17, 15), jst(2026, 11, 30, 8, 30)),  # Friday, the closing moment: Monday
    (jst(2026, 11, 26, 23, 0), jst(2026, 11, 27, 8, 30)),   # Thursday night: Friday morning
])
def test_outside_the_hours_of_a_weekday_the_next_opening(moment, opens):
    assert not is_staffed(moment)
    assert next_staffed(moment) == opens


@pytest.mark.parametrize("moment, opens", [
    (jst(2026, 11, 28, 10, 0), jst(2026, 11, 30, 8, 30)),    # Saturday
    (jst(2026, 11, 29, 23, 59), jst(2026, 11, 30, 8, 30)),   # Sunday night
])
def test_a_weekend_is_not_staffed(moment, opens):
    assert not is_staffed(moment)
    assert next_staffed(moment) == opens


def test_a_substitute_holiday_is_not_staffed():
    moment = jst(2026, 5, 6, 10, 0)  # 振替休日 (Wednesday) for 憲法記念日 on a Sunday
    assert not is_staffed(moment)
    assert next_staffed(moment) == jst(2026, 5, 7, 8, 30)


def test_new_years_day_is_not_staffed():
    moment = jst(2027, 1, 1, 10, 0)  # 元日, a Friday
    assert not is_staffed(moment)
    assert next_staffed(moment) == jst(2027, 1, 4, 8, 30)


@pytest.mark.parametrize("moment", [
    jst(2026, 12, 29, 9, 0),   # Tuesday, the first day of the closure (not a public holiday)
    jst(2026, 12, 30, 12, 0),
    jst(2027, 1, 3, 9, 0),     # its last day (a Sunday)
])
def test_the_year_end_closure_is_not_staffed(moment):
    assert not is_staffed(moment)
    assert next_staffed(moment) == jst(2027, 1, 4, 8, 30)


@pytest.mark.parametrize("moment, opens", [
    (jst(2026, 11, 21, 12, 0), jst(2026, 11, 24, 8, 30)),  # Saturday before 勤労感謝の日 (Monday): Tuesday
    (jst(2026, 11, 20, 17, 15), jst(2026, 11, 24, 8, 30)),  # Friday's closing, before that weekend
    (jst(2026, 5, 1, 18, 0), jst(2026, 5, 7, 8, 30)),       # Golden Week: Saturday to Wednesday closed
    (jst(2026, 9, 19, 9, 0), jst(2026, 9, 24, 8, 30)),      # Silver Week: 敬老の日, 国民の休日, 秋分の日
])
def test_the_next_staffed_moment_skips_a_holiday_weekend(moment, opens):
    assert not is_staffed(moment)
    assert next_staffed(moment) == opens


def test_the_next_staffed_moment_is_aware_japan_time_whatever_the_zone_asked_in():
    asked = datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc)  # Saturday 10:00 in Japan
    opens = next_staffed(asked)
    assert opens.utcoffset() == timedelta(hours=9) and opens == jst(2026, 11, 30, 8, 30)
    assert contract.unavailable(True, opens)["next_staffed"] == "2026-11-30T08:30:00+09:00"


@pytest.mark.parametrize("utc_moment, staffed", [
    (datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc), False),  # Friday 00:00 in Japan, Thursday 15:00 in UTC
    (datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc), True),     # Friday 09:00 in Japan, Friday 00:00 in UTC
    (datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc), False),   # Saturday 00:00 in Japan, Friday 15:00 in UTC
])
def test_the_wall_clock_is_read_in_japan_time(utc_moment, staffed):
    with time_machine.travel(utc_moment, tick=False):
        assert is_staffed(datetime.now(timezone.utc)) is staffed
        assert next_staffed(datetime.now(timezone.utc)).utcoffset() == timedelta(hours=9)


# ---- HANDOVER_STAFFED_HOURS -----------------------------------------------------------------------------------------

def test_the_setting_replaces_days_and_times_and_the_closures_stay(monkeypatch):
    monkeypatch.setenv("HANDOVER_STAFFED_HOURS", "mon,wed,sat 10:00-12:00")
    hours = staffed_hours()
    assert hours.days == ("mon", "wed", "sat") and (hours.opens, hours.closes) == (time(10), time(12))
    assert hours.text == "月・水・土10：00～12：00（祝日・年末年始を除く）"
    assert is_staffed(jst(2026, 11, 28, 11, 0))                  # a Saturday now
    assert not is_staffed(jst(2026, 11, 27, 11, 0))              # no longer on Friday
    assert not is_staffed(jst(2026, 11, 28, 12, 0))              # closes at 12:00
    assert not is_staffed(jst(2026, 11, 23, 11, 0))              # 勤労感謝の日, a Monday: still a holiday
    assert not is_staffed(jst(2027, 1, 2, 11, 0))                # a Saturday in the year-end closure
    assert next_staffed(jst(2026, 11, 21, 12, 0)) == jst(2026, 11, 25, 10, 0)  # Sat after hours → Wed (Mon a holiday)


def test_the_setting_is_read_on_each_call(monkeypatch):
    saturday = jst(2026, 11, 28, 11, 0)
    assert not is_staffed(saturday)
    monkeypatch.setenv("HANDOVER_STAFFED_HOURS", "mon-sat 09:00-17:00")
    assert is_staffed(saturday)
    monkeypatch.setenv("HANDOVER_STAFFED_HOURS", "")  # empty: the calendar's again
    assert not is_staffed(saturday)


@pytest.mark.parametrize("value, reason", [
    ("weekdays", "expected days, a space, then opening-closing"),
    ("mon-fri 8-17", "expected days, a space, then opening-closing"),
    ("mon-fri 08:30-25:00", "25:00 is not a time of day, 00:00 to 23:59"),
    ("fri-mon 08:30-17:15", "the range fri-mon runs backwards"),
    ("mon-fri 17:15-08:30", "opening 17:15 is not before closing 08:30"),
    ("mon-fri 09:00-09:00", "opening 09:00 is not before closing 09:00"),
    ("月-金 08:30-17:15", "'月' is not one of mon, tue, wed, thu, fri, sat, sun"),
    ("mon,,fri 08:30-17:15", "an empty day is not one of mon, tue, wed, thu, fri, sat, sun"),
])
def test_a_malformed_setting_stops_with_a_message_naming_the_variable(monkeypatch, value, reason):
    monkeypatch.setenv("HANDOVER_STAFFED_HOURS", value)
    with pytest.raises(SettingsError) as raised:
        is_staffed(jst(2026, 11, 27, 10, 0))
    assert str(raised.value) == f"HANDOVER_STAFFED_HOURS must be {WEEKLY_HOURS_EXPECTED}, not {value!r} ({reason})"


@pytest.mark.parametrize("value, days", [
    ("mon-fri 08:30-17:15", ("mon", "tue", "wed", "thu", "fri")),
    (" MON-FRI  8:30 - 17:15 ", ("mon", "tue", "wed", "thu", "fri")),
    ("sat,mon-tue 09:00-10:00", ("mon", "tue", "sat")),
    ("sun 09:00-10:00", ("sun",)),
])
def test_accepted_spellings(monkeypatch, value, days):
    monkeypatch.setenv("HANDOVER_STAFFED_HOURS", value)
    assert staffed_hours().days == days
