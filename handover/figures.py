"""The handover figures the review page shows beside the review log's: requests per day, the median wait from the
request to a person taking it, and the share of requests that timed out.

Kept apart from the store (handover/store.py reads the rows, this module only counts them) so that the counting
is plain Python over plain values: the same days as the review page (Japan-time days, either end of the range
open), the same rules on every database.

- A handover counts on the Japan-time day it was requested (a wait that runs past midnight stays on the first day).
- The wait is from the request to the take, over the handovers of the range a person took (the median: one
  forgotten conversation must not make every wait look long).
- The timed-out share is over the handovers no longer waiting: those still queued have not yet either been
  taken or timed out, so counting them would make a busy moment look better than it is.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Optional, Tuple

from handover.models import QUEUED, TIMED_OUT
from handover.records import Figures
from knowledge.hours import JST

UTC = timezone.utc


@dataclass(frozen=True)
class Request:
    """What the figures read of one handover (aware times)."""

    requested_at: datetime
    taken_at: Optional[datetime]
    state: str


def day_of(moment: datetime) -> date:
    """The Japan-time day of an aware moment."""
    return moment.astimezone(JST).date()


def bounds(start: Optional[date], end: Optional[date]) -> Tuple[Optional[datetime], Optional[datetime]]:
    """[first instant of ``start``, first instant after ``end``) in UTC, for Japan-time days (either may be open)."""
    low = datetime.combine(start, time(0), JST).astimezone(UTC) if start else None
    high = datetime.combine(end + timedelta(days=1), time(0), JST).astimezone(UTC) if end else None
    return low, high


def summarize(requests: Iterable[Request], start: Optional[date] = None, end: Optional[date] = None,
              max_days: Optional[int] = None) -> Figures:
    """The figures of ``requests`` (those requested within the days given). ``per_day`` has every day of the range,
    zero included; an open end is the first (or last) day with a request; with ``max_days``, only the latest that
    many days are filled (the counts still cover the whole range)."""
    rows = list(requests)
    per_day = Counter(day_of(row.requested_at) for row in rows)
    first = start or (min(per_day) if per_day else None)
    last = end or (max(per_day) if per_day else None)
    days: Tuple[Tuple[date, int], ...] = ()
    if first is not None and last is not None and first <= last:
        if max_days is not None:
            first = max(first, last - timedelta(days=max_days - 1))
        days = tuple((first + timedelta(days=n), per_day[first + timedelta(days=n)])
                     for n in range((last - first).days + 1))
    waits = [(row.taken_at - row.requested_at).total_seconds() for row in rows if row.taken_at is not None]
    left_queue = [row for row in rows if row.state != QUEUED]
    timed_out = sum(row.state == TIMED_OUT for row in left_queue)
    return Figures(per_day=days, requests=len(rows), taken=len(waits),
                   median_wait_seconds=statistics.median(waits) if waits else None,
                   timed_out=timed_out, timed_out_share=timed_out / len(left_queue) if left_queue else None)
