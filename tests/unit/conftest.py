"""Fixtures for the unit tests alone."""
from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def sanic_servers_in_one_process() -> Iterator[None]:
    """Several tests start a real Sanic server in this process (tests/unit/test_line_channel.py,
    test_channel_handover.py). Sanic rewrites its own methods when the first app starts (TouchUp) and, outside its
    test mode, a second app's start rewrites them again and fails; test mode keeps the originals. Set for the whole
    session, before any server starts, whatever order the tests run in."""
    from sanic import Sanic

    before, Sanic.test_mode = Sanic.test_mode, True
    yield
    Sanic.test_mode = before
