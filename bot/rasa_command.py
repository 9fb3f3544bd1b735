"""``python -m bot.rasa_command ARGS``: Rasa's own command line (``rasa ARGS``), started the way this project needs.

Every Rasa process of the project starts here (scripts/serve.sh, scripts/prod/ctl.sh, ``make shell``, ``make test``'s
``rasa test core``, and the test and evaluation servers in eval/servers.py), so that:

- Rasa's code is changed in one guarded place first (bot/rasa_patches.py); a Rasa that does not match stops here
  with a message saying what differs, before anything is served;
- the channels are given what they may not import themselves (:func:`bot.wiring.connect`);
- ``rasa run`` gets ``--auth-token`` from ``RASA_API_TOKEN`` when that is set: Rasa reads the token only from its
  command line, which ``ps`` shows to every user of the machine, so it is appended here, inside the process.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional

from bot import rasa_patches, wiring
from common.settings import SettingsError


def arguments(argv: List[str], environ: Optional[dict] = None) -> List[str]:
    """Rasa's arguments: ``argv`` with ``--auth-token`` from ``RASA_API_TOKEN`` for ``run`` (not ``run actions``)."""
    environ = dict(os.environ) if environ is None else environ
    token = environ.get("RASA_API_TOKEN")
    serving = argv[:1] == ["run"] and argv[1:2] != ["actions"]
    if token and serving and "--auth-token" not in argv:
        return [*argv, "--auth-token", token]
    return list(argv)


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        rasa_patches.apply()
    except (rasa_patches.RasaMismatch, SettingsError) as problem:  # a bad setting is named, as a mismatch is
        print(f"Not starting Rasa: {problem}", file=sys.stderr)
        return 2
    wiring.connect()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *arguments(argv)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
