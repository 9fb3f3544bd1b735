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
    assert state == {"state": "unavailable", "callback": True,
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


# ---- call-back requests -------------------------------------------------------------------------------------------

CALLBACK = {"title": "折り返しの連絡を依頼する", "payload": "/request_callback"}


def asked_events():
    return [user_event("/request_callback", "request_callback", 1.0)]


def test_out_of_hours_offers_a_call_back_and_the_next_message_is_stored_for_staff(db, store, caplog):
    from bot.actions.handover_actions import ActionRequestCallback
    from bot.actions.unsure_actions import ActionFallback

    with time_machine.travel(SATURDAY, tick=False):
        unavailable = run(ActionRequestHuman(), "担当者と話したい", "request_human", slots={"program": "21"})
    assert CALLBACK in unavailable.buttons and handover_of(unavailable)["callback"] is True
    asking = run(ActionRequestCallback(), "/request_callback", "request_callback", slots={"program": "21"})
    assert "電話番号またはメールアドレス" in asking.text and asking.slot("asked") == "callback"
    caplog.set_level("DEBUG")
    # whatever the NLU made of it, the message after the question is the request
    saved = run(ActionFallback(), "店を息子に継がせたい件です。０９０－１２３４－５６７８ 佐藤", "out_of_scope",
                slots={"program": "21", "asked": "callback"}, confidence=0.3, events=asked_events())
    assert "受け付けました" in saved.text and saved.slot("asked") is None
    [request] = store.callbacks()
    assert request.contact == "０９０－１２３４－５６７８" and request.section == 21
    assert "０９０" not in request.need and "継がせたい" in request.need
    assert all("１２３４" not in record.getMessage() and "1234" not in record.getMessage()
               for record in caplog.records)


def test_a_request_without_a_contact_is_asked_again_and_can_be_given_up(store):
    from bot.actions.unsure_actions import ActionFallback

    again = run(ActionFallback(), "事業承継の相談です", "out_of_scope", slots={"asked": "callback"}, confidence=0.3)
    assert "読み取れませんでした" in again.text and again.slot("asked") is None and not again.events
    cancelled = run(ActionFallback(), "やめます", "goodbye", slots={"asked": "callback"}, confidence=0.3)
    assert "取りやめました" in cancelled.text and cancelled.events and cancelled.slot("asked") is None
    assert store.callbacks() == []


def test_another_question_after_the_call_back_question_is_answered_as_usual(db, store):
    from bot.actions.program_actions import ActionRecommendProgram

    result = run(ActionRecommendProgram(), "人を採用したい", "program_human_resources", slots={"asked": "callback"})
    assert facts.desk_phone(query.program(db, 2).main_desk) in result.text and store.callbacks() == []
