"""「担当者と話したい」 (bot/actions/handover_actions.py) on a real handover store: queued with its place and wait when
staff are on duty within staffed hours; otherwise the desk in focus by phone, and when staff are next here. Each
reply carries custom.handover (handover/contract.py). The clock is moved with time-machine."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine

from bot.actions.handover_actions import ActionRequestHuman
from handover import hours
from handover.store import HandoverStore
from knowledge import facts, query
from knowledge.hours import JST
from tests.unit.test_actions import run

STAFFED = datetime(2026, 11, 27, 10, 0, tzinfo=JST)  # a Friday morning
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=JST)
PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")


@pytest.fixture(autouse=True)
def knowledge_store(kb_url, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DB_URL", kb_url)


@pytest.fixture
def store(review_url, monkeypatch):
    monkeypatch.setenv("REVIEW_DB_URL", review_url)
    return HandoverStore(review_url)


def handover_of(result):
    return next(m["custom"]["handover"] for m in result.messages if (m.get("custom") or {}).get("handover"))


def test_staff_on_duty_within_hours_queue_the_user_with_place_and_wait(store):
    assert hours.is_staffed(STAFFED)
    store.seen("sato", "佐藤", now=STAFFED)
    with time_machine.travel(STAFFED, tick=False):
        result = run(ActionRequestHuman(), "担当者と話したい", "request_human", slots={"program": "21"})
    state = handover_of(result)
    assert state["state"] == "queued" and state["position"] == 1 and state["wait_seconds"] >= 0
    assert "1番目" in result.text and PHONE.findall(result.text) == []
    queued = store.active("test")
    assert queued is not None and queued.focus == 21


def test_out_of_hours_the_desk_in_focus_answers_by_phone_with_the_next_staffed_time(db, store):
    store.seen("sato", "佐藤", now=SATURDAY)  # someone on the page, but not within staffed hours
    with time_machine.travel(SATURDAY, tick=False):
        result = run(ActionRequestHuman(), "人につないでください", "request_human", slots={"program": "21"})
    state = handover_of(result)
    expected = hours.next_staffed(SATURDAY)
    assert state == {"state": "unavailable", "callback": False,
                     "next_staffed": expected.isoformat(timespec="seconds")}
    assert facts.moment_text(expected) in result.text
    assert facts.desk_phone(query.program(db, 21).main_desk) in result.text
    assert store.active("test") is None


def test_nobody_on_duty_within_hours_and_no_program_gives_the_general_desk(db, store):
    with time_machine.travel(STAFFED, tick=False):
        result = run(ActionRequestHuman(), "オペレーター", "request_human")
    assert handover_of(result)["state"] == "unavailable"
    assert PHONE.findall(result.text)[0] == facts.desk_phone(query.general_desk(db).main_desk)
    assert store.active("test") is None


# ---- where 「担当者に相談する」 is offered ------------------------------------------------------------------------------

HUMAN = {"title": "担当者に相談する", "payload": "/request_human"}


def user_event(text, intent, confidence):
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
             "intent_ranking": [{"name": intent, "confidence": confidence}], "entities": []}
    return {"event": "user", "text": text, "parse_data": parse}


def test_the_second_unclear_turn_in_a_row_offers_a_person_and_the_first_does_not():
    from bot.actions.unsure_actions import ActionFallback

    first = run(ActionFallback(), "えーと、あれです", "greet", confidence=0.2)
    assert HUMAN not in first.buttons
    second = run(ActionFallback(), "その、なんというか", "greet", confidence=0.2,
                 events=[user_event("えーと、あれです", "greet", 0.2)])
    assert second.buttons[-1] == HUMAN
    after_a_clear_one = run(ActionFallback(), "その、なんというか", "greet", confidence=0.2,
                            events=[user_event("こんにちは", "greet", 0.98)])
    assert HUMAN not in after_a_clear_one.buttons


def test_the_out_of_scope_answer_and_a_thumbs_down_offer_a_person(review_url, monkeypatch):
    from bot.actions.feedback import ActionFeedback
    from bot.actions.unsure_actions import ActionFallback

    monkeypatch.setenv("REVIEW_DB_URL", review_url)
    assert HUMAN in run(ActionFallback(), "今日は寒いですね", "out_of_scope").buttons
    assert HUMAN in run(ActionFallback(), "給料が払われない", "out_of_scope").buttons
    down = run(ActionFeedback(), '/feedback{"turn": "abc", "rating": "down"}', "feedback",
               entities=[{"entity": "turn", "value": "abc"}, {"entity": "rating", "value": "down"}])
    assert down.buttons == [HUMAN]
