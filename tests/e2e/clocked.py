"""``python -m tests.e2e.clocked -m MODULE ARGS``: run a Python entry point (``python -m MODULE ARGS``) under a fixed
clock. Tests only: the end-to-end handover tests start the Rasa server, the action server and the console this way.

Why: whether a person can take a conversation depends on the staffed hours, Japan's public holidays and the year-end
closure (handover/hours.py). ``HANDOVER_STAFFED_HOURS`` changes the days and times, never the closures, so only a
fixed clock makes a test pass on any date. The clock ticks (``time_machine.travel(..., tick=True)``), and every
process started for one test site shows the same time: each starts at ``E2E_CLOCK_AT`` plus the real seconds since
``E2E_CLOCK_SINCE`` (the real time when the site's clock read ``E2E_CLOCK_AT``), so staff presence written by the
console and read by the action server a moment later agree. ``time.monotonic`` is not moved (time_machine leaves
it alone), so event loops and timeouts run as usual.
"""
from __future__ import annotations

import os
import runpy
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Mapping, Optional

import time_machine

AT = "E2E_CLOCK_AT"        # the fixed moment, ISO 8601 with its offset
SINCE = "E2E_CLOCK_SINCE"  # the real Unix time at which the clock read AT


def clock_env(at: datetime, since: Optional[float] = None) -> Dict[str, str]:
    """The environment that puts processes started with it on the clock that reads ``at`` (aware) now (or at the
    real Unix time ``since``)."""
    if at.tzinfo is None:
        raise ValueError("the fixed moment must be aware (say which time zone it is in)")
    return {AT: at.isoformat(), SINCE: repr(time.time() if since is None else since)}


def moment(environ: Mapping[str, str], real_now: float) -> datetime:
    """What the clock reads at the real Unix time ``real_now``, in UTC."""
    at = datetime.fromisoformat(environ[AT])
    if at.tzinfo is None:
        raise ValueError(f"{AT} must have an offset, not {environ[AT]!r}")
    return (at + timedelta(seconds=real_now - float(environ[SINCE]))).astimezone(timezone.utc)


def main(argv: List[str]) -> None:
    if len(argv) < 2 or argv[0] != "-m":
        sys.exit("usage: python -m tests.e2e.clocked -m MODULE [ARGS...]  (with E2E_CLOCK_AT and E2E_CLOCK_SINCE set)")
    module, arguments = argv[1], argv[2:]
    # UTC, not a ZoneInfo: time_machine would then also change the process's local time zone.
    time_machine.travel(moment(os.environ, time.time()), tick=True).start()
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
