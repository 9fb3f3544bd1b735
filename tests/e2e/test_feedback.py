"""Feedback and the review log through the real channels: 👍/👎 stored with the turn, misses recorded."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from knowledge import facts, query
from review import db as review_db
from review import log
from review.models import Turn
from tests.e2e.test_line import PUSH, Line, text_event, user


def logged(review_log_url, sender=None, **where):
    """Review-log rows matching ``where``; only one sender's when given (other tests share the log)."""
    with review_db.session(review_log_url) as db:
        rows = db.execute(select(Turn).order_by(Turn.at)).scalars().all()
        conversation = log.conversation_key(db, sender) if sender else None
    return [r for r in rows if all(getattr(r, k) == v for k, v in where.items())
            and (conversation is None or r.conversation == conversation)]


def feedback(turn: str, rating: str) -> str:
    return "/feedback" + json.dumps({"turn": turn, "rating": rating})


def test_an_answer_carries_its_turn_and_feedback_is_stored_with_it(chat, kb, review_log_url):
    answer = chat.say("後継者がいなくて困っています")
    assert answer.sections == [21] and answer.turn
    [row] = logged(review_log_url, turn=answer.turn)
    assert row.kind == "answer" and row.program == 21 and row.channel == "rest" and row.feedback is None
    assert row.text == "後継者がいなくて困っています" and chat.sender not in row.conversation

    sorry = chat.say(feedback(answer.turn, "down"))
    general = query.program(kb, 16).main_desk
    assert "お役に立てず申し訳ありません" in sorry.text and facts.desk_phone(general) in sorry.text
    assert sorry.programs == [] and sorry.turn is None  # feedback itself is not rated
    assert logged(review_log_url, turn=answer.turn)[0].feedback == "down"

    thanks = chat.say(feedback(answer.turn, "up"))  # changed its mind
    assert "ありがとうございます" in thanks.text
    assert logged(review_log_url, turn=answer.turn)[0].feedback == "up"
    # the conversation goes on about the same program
    assert query.program(kb, 21).main_desk.phone in chat.say("そちらの電話番号を教えてください").text


def test_asking_which_and_not_understanding_are_logged_for_review(chat, review_log_url):
    which = chat.say("販路を広げたいんだけど")
    assert len(which.programs) > 1 and which.turn is None  # a question back is not rated
    [row] = logged(review_log_url, sender=chat.sender, kind="which")
    assert row.text == "販路を広げたいんだけど"
    assert row.candidates and all({"section", "score"} <= set(c) for c in row.candidates)
    chat.say("明日の天気は？")
    assert [r.text for r in logged(review_log_url, sender=chat.sender, kind="fallback")] == ["明日の天気は？"]


def test_what_is_logged_is_masked(chat, review_log_url):
    assert chat.say("後継者がいなくて困っています").sections == [21]
    chat.say("佐藤と申します。090-1234-5678かsato@example.jpに折り返しください")  # answered about §21
    texts = [r.text for r in logged(review_log_url, sender=chat.sender)]
    masked = [t for t in texts if "折り返しください" in t]
    assert masked, texts
    assert all("090-1234-5678" not in t and "sato@example.jp" not in t and "佐藤" not in t for t in masked), masked
    assert "[電話番号]" in masked[0] and "[メール]" in masked[0] and "[氏名]" in masked[0]


def test_a_greeting_is_not_logged(chat, review_log_url):
    before = len(logged(review_log_url))
    chat.say("こんにちは")
    assert len(logged(review_log_url)) == before


@pytest.fixture
def line(assistant, line_api):
    return Line(assistant, line_api)


def test_line_answers_offer_feedback_as_quick_replies_and_store_it(line, line_api, review_log_url):
    someone = user()
    ev = text_event(someone, "後継者がいなくて困っています")
    assert line.post(ev).status_code == 200
    [reply] = line.replies_to(ev["replyToken"])
    items = reply["messages"][-1]["quickReply"]["items"]
    postbacks = {i["action"]["label"]: i["action"]["data"] for i in items}
    down = next(data for label, data in postbacks.items() if "役に立たなかった" in label)
    turn = json.loads(down[len("/feedback"):])["turn"]
    [row] = logged(review_log_url, turn=turn)
    assert row.channel == "line" and row.program == 21 and someone not in row.conversation

    pb = {"type": "postback", "mode": "active", "timestamp": int(time.time() * 1000),
          "source": {"type": "user", "userId": someone}, "webhookEventId": "FB" + turn[:20].upper(),
          "deliveryContext": {"isRedelivery": False}, "replyToken": "reply-" + turn,
          "postback": {"data": down}}
    assert line.post(pb).status_code == 200
    [thanks] = line.replies_to(pb["replyToken"])
    assert "お役に立てず申し訳ありません" in thanks["messages"][0]["text"]
    assert logged(review_log_url, turn=turn)[0].feedback == "down"
    assert not [c for c in line_api.sent(PUSH) if c["body"]["to"] == someone]
