"""The benchmark's handover delivery probe (eval/handover_probe.py) measures real deliveries: the real REST and LINE
channels on a Sanic server on loopback (tests/unit/test_channel_handover.py's helpers), their handover worker and
event streams, the LINE API stub, and the store on a SQLite database; no Rasa is needed (the probe's users only
receive)."""
from __future__ import annotations

import asyncio
import time
from typing import Iterator

import pytest

from bot.channels import handover_link
from bot.channels.line import LineInput
from bot.channels.rest import RestInput
from eval.handover_probe import DEADLINE_SECONDS, DeliveryProbe, quantiles
from handover.store import HandoverStore
from tests.e2e.line_stub import LineApiStub
from tests.unit.test_channel_handover import SECRET, TOKEN, serving


@pytest.fixture
def review_url(tmp_path, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("HANDOVER_DELIVERY_INTERVAL_SECONDS", "0.05")
    url = f"sqlite:///{tmp_path / 'review.db'}"
    store = HandoverStore(url)
    handover_link.use_store(lambda: store)
    yield url
    handover_link.use_store(None)


def test_the_probe_times_staff_messages_to_the_event_stream_and_to_line_pushes(review_url):
    stub = LineApiStub()

    async def measure() -> DeliveryProbe:
        async with serving(RestInput(), LineInput(SECRET, TOKEN, stub.url)) as (_, url):
            def run() -> DeliveryProbe:
                with DeliveryProbe(url, review_url, stub, per_channel=2, pause=(0.05, 0.1)) as probe:
                    time.sleep(1.5)
                return probe

            return await asyncio.to_thread(run)

    try:
        probe = asyncio.run(measure())
    finally:
        stub.close()
    assert probe.rounds >= 2 and probe.figures.lost == {"rest": 0, "line": 0}
    assert len(probe.figures.web) == len(probe.figures.line) == 2 * probe.rounds
    assert all(0 < seconds < DEADLINE_SECONDS for seconds in probe.figures.web + probe.figures.line)
    pushed = {c["body"]["to"] for c in stub.delivered("/v2/bot/message/push")}
    assert len(pushed) == 2  # each LINE probe user got its pushes
    store = HandoverStore(review_url)
    assert store.waiting() == []  # the probe's conversations were handed back
    report = probe.report(16)
    assert "web chat (SSE)" in report and "LINE (Push API)" in report and "p95" in report


def test_quantiles():
    assert quantiles([]) is None and quantiles([0.3]) == (0.3, 0.3)
    p50, p95 = quantiles([i / 100 for i in range(1, 101)])
    assert p50 == pytest.approx(0.505) and p95 == pytest.approx(0.9505)
