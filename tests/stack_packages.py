"""The production stack's Debian packages (PostgreSQL, Redis, nginx) for the tests that run them: installed by the
project's own scripts/prod/install.sh, which installs only what is missing. Whichever test needs them first installs
them, so no test depends on another having run before it."""
from __future__ import annotations

import subprocess
from pathlib import Path

INSTALL = Path(__file__).resolve().parents[1] / "scripts" / "prod" / "install.sh"


def installed() -> None:
    install = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
