"""A queued user stops waiting with a cancel word (handover/leaving.yml): the channel hold layer
(bot/channels/hold.py) ends the handover, answers with ``custom.handover`` ``ended`` and a polite text, and the
assistant answers the next message; everything else a queued or connected user writes stays held.

The real channels (REST and LINE) on a real Sanic server on loopback, the LINE API stub, and the handover store on a
real review database (SQLite, and PostgreSQL when ``TEST_POSTGRES_URL`` is set); a stand-in for Rasa records what
reaches it (tests/unit/test_channel_handover.py's helpers).
"""
from __future__ import annotations

import asyncio
from typing import Any, Iterator, List, Tuple

import aiohttp
import pytest
import yaml

from bot.channels import handover_link
from bot.channels.line import LineInput
from bot.channels.rest import RestInput
from handover import contract, leaving
from handover.store import HandoverStore
from knowledge.db import engine_for
from tests.e2e.line_stub import LineApiStub
from tests.unit.test_channel_handover import (
    REPLY,
    SECRET,
    TOKEN,
    Rasa,
    line_user,
    post,
    serving,
    stored,
    until,
    web_sender,
    write_line,
)

ENDED = {"handover": {"state": "ended"}}
QUESTIONS = ["キャンセル料はかかりますか", "やめるべきか迷っています", "まだですか", "担当者と話したい",
             "もういいですか？", "/request_human"]


@pytest.fixture
def store(review_url, monkeypatch) -> Iterator[HandoverStore]:
    """A store on the test's review database, given to the channels as bot/wiring.py does."""
    for name in ("HANDOVER_QUEUE_TIMEOUT_SECONDS", "HANDOVER_DEFAULT_WAIT_SECONDS", "HANDOVER_STAFFED_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HANDOVER_DELIVERY_INTERVAL_SECONDS", "0.05")
    store = HandoverStore(review_url)
    handover_link.use_store(lambda: store)
    yield store
    handover_link.use_store(None)
    engine_for(review_url).dispose()


@pytest.fixture(scope="module")
def stub():
    api = LineApiStub()
    yield api
    api.close()


# ---- the words ---------------------------------------------------------------------------------------------------

def test_the_cancel_words_are_whole_messages_in_any_width_and_with_closing_punctuation():
    listed = yaml.safe_load(leaving.WORDS.read_text(encoding="utf-8"))["words"]
    assert {"やめる", "キャンセル", "待つのをやめる", "もういいです"} <= set(listed)
    assert all(leaving.wants_to_leave(word) for word in listed)
    for written in ("キャンセル。", "ｷｬﾝｾﾙ", " やめる ", "もういいです！", "もう いいです…", "待つのをやめます。"):
        assert leaving.wants_to_leave(written), written
    for written in QUESTIONS + ["", "キャンセル待ち"]:
        assert not leaving.wants_to_leave(written), written


# ---- the store's transition ----------------------------------------------------------------------------------------

def test_only_a_queued_handover_is_left_and_leaving_and_taking_never_both_win(store):
    left = store.request("web-left", "rest")
    assert store.leave_queue(left.id)
    assert not store.take(left.id, "sato", "佐藤") and not store.leave_queue(left.id)  # once
    record = store.get(left.id)
    assert (record.state, record.outcome, record.ended_at is not None) == ("ended", "user_left", True)
    assert store.messages(left.id) == []  # the user's own turn tells them, no system message
    taken = store.request("web-taken", "rest")
    assert store.take(taken.id, "sato", "佐藤")
    assert not store.leave_queue(taken.id) and store.get(taken.id).state == "connected"  # the person keeps it


# ---- the web chat (REST channel) ---------------------------------------------------------------------------------

def test_a_queued_web_user_who_writes_a_cancel_word_stops_waiting_and_the_assistant_answers_again(store):
    rasa, sender = Rasa(), web_sender()
    handover = store.request(sender, "rest", focus=21)

    async def talk() -> List[Tuple[int, Any]]:
        async with serving(RestInput(), rasa=rasa) as (_, url), aiohttp.ClientSession() as session:
            answers = [await post(session, url, sender, "まだですか")]
            answers.append(await post(session, url, sender, "キャンセル"))
            answers.append(await post(session, url, sender, "費用は？"))
            return answers

    waiting, left, after = asyncio.run(talk())
    assert waiting[1][0]["custom"]["handover"]["state"] == "queued"
    assert left == (200, [{"recipient_id": sender, "text": contract.LEFT_QUEUE_TEXT, "custom": ENDED}])
    assert "取りやめました" in left[1][0]["text"] and left[1][0]["text"].endswith("。")
    assert (store.get(handover.id).state, store.get(handover.id).outcome) == ("ended", "user_left")
    assert store.active(sender) is None and stored(store, handover.id) == ["まだですか"]  # the word: not for staff
    assert [message.text for message in rasa.received] == ["費用は？"]  # the assistant again, only after leaving
    assert after == (200, [{"recipient_id": sender, "text": "アシスタントです"}])


def test_everything_else_a_queued_or_connected_user_writes_stays_held(store):
    rasa, sender = Rasa(), web_sender()
    handover = store.request(sender, "rest")

    async def talk() -> List[Tuple[int, Any]]:
        async with serving(RestInput(), rasa=rasa) as (_, url), aiohttp.ClientSession() as session:
            answers = [await post(session, url, sender, text) for text in QUESTIONS]
            assert store.take(handover.id, "sato", "佐藤")
            answers += [await post(session, url, sender, word) for word in ("やめる", "キャンセル")]
            return answers

    answers = asyncio.run(talk())
    states = [replies[-1]["custom"]["handover"]["state"] for _, replies in answers]
    assert states == ["queued"] * len(QUESTIONS) + ["connected", "connected"]
    assert rasa.received == []  # never answered by the assistant
    # Stored for the person: the words, not the button's payload; once connected, a cancel word is theirs too.
    assert stored(store, handover.id) == [text for text in QUESTIONS if not text.startswith("/")] + ["やめる", "キャンセル"]
    assert store.get(handover.id).state == "connected"


# ---- LINE ----------------------------------------------------------------------------------------------------------

def test_a_queued_line_user_who_writes_a_cancel_word_is_told_in_the_reply_and_the_assistant_answers_again(store,
                                                                                                          stub):
    rasa, user = Rasa(), line_user()
    handover = store.request(user, "line")
    channel = LineInput(SECRET, TOKEN, stub.url)

    def replies_to(token: str) -> List[Any]:
        return [c["body"]["messages"] for c in stub.sent(REPLY) if c["body"]["replyToken"] == token]

    async def talk() -> Tuple[str, str]:
        async with serving(channel, rasa=rasa) as (_, url), aiohttp.ClientSession() as session:
            left = await write_line(session, url, user, "もういいです")
            await until(lambda: bool(replies_to(left)))
            after = await write_line(session, url, user, "費用は？")
            await until(lambda: bool(replies_to(after)))
            return left, after

    left, after = asyncio.run(talk())
    assert replies_to(left) == [[{"type": "text", "text": contract.LEFT_QUEUE_TEXT}]]
    assert (store.get(handover.id).state, store.get(handover.id).outcome) == ("ended", "user_left")
    assert [message.text for message in rasa.received] == ["費用は？"]
    assert replies_to(after)[0][0]["text"] == "アシスタントです"
