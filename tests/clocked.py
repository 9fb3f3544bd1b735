"""Run a server's entry point on a fixed clock (tests only): ``python -m tests.clocked [--at ISO] [--since EPOCH]
-m MODULE ARGS...``.

Staffed hours (handover/hours.py) leave out public holidays and the year-end closure whatever the settings say, so
a test that needs a person on duty passes on any date only on a fixed clock: here a weekday morning in Japan time
(``WEEKDAY_MORNING``), ticking from there (time_machine, ``tick=True``). ``--since`` is the real moment (Unix time)
that stands for ``--at``: every process of one test given the same pair keeps the same clock, to the millisecond,
however late each one started, because they read each other's times from the shared database (when a user asked,
when a staff member was last on the console page). Without ``--since``, the clock starts at ``--at`` now.
"""
from __future__ import annotations

import argparse
import runpy
import sys
import time
from datetime import datetime
from typing import List, Optional

import time_machine

WEEKDAY_MORNING = datetime.fromisoformat("2025-06-10T10:00:00+09:00")  # a Tuesday, no holiday: staffed


def launcher(since: float, at: datetime = WEEKDAY_MORNING) -> List[str]:
    """The interpreter arguments that run an entry point on this clock (eval/servers.py ``launcher``)."""
    return ["-m", "tests.clocked", "--at", at.isoformat(), "--since", repr(since)]


def main(argv: Optional[List[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if "-m" not in argv or argv.index("-m") == len(argv) - 1:
        raise SystemExit("usage: python -m tests.clocked [--at ISO] [--since EPOCH] -m MODULE [ARGS...]")
    split = argv.index("-m")  # everything after `-m MODULE` is the module's own command line
    parser = argparse.ArgumentParser(prog="python -m tests.clocked", allow_abbrev=False)
    parser.add_argument("--at", type=datetime.fromisoformat, default=WEEKDAY_MORNING)
    parser.add_argument("--since", type=float)
    options = parser.parse_args(argv[:split])
    module, arguments = argv[split + 1], argv[split + 2:]
    since = time.time() if options.since is None else options.since
    time_machine.travel(options.at.timestamp() + (time.time() - since), tick=True).start()
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
