"""Custom actions run directly against a real knowledge database (no servers)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.fallback import ActionBadInput, ActionFallback
from bot.actions.followup import ActionAnswerField
from bot.actions.location import ActionAnswerLocation
from bot.actions.program import ActionRecommendProgram, ActionWhichProgram
from bot.actions.rules import ActionAnswerRule

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def store(kb_url, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DB_URL", kb_url)


def run(action, text, intent, slots=None, entities=None, ranking=None):
    message = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": entities or [],
               "intent_ranking": ranking or [{"name": intent, "confidence": 0.95}]}
    tracker = Tracker("test", slots or {}, message, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    text_out = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    programs = [m["custom"]["programs"] for m in dispatcher.messages if m.get("custom")]
    return text_out, programs, dispatcher.messages, events


def slot(events, name):
    return next((e["value"] for e in events if e.get("event") == "slot" and e["name"] == name), None)


def test_recommendation_carries_the_contract_and_sets_the_program():
    text, programs, _, events = run(ActionRecommendProgram(), "後継ぎがいない", "program_business_succession")
    assert "017-723-1040" in text and programs[0][0]["section"] == 21 and programs[0][0]["phone"] == "017-723-1040"
    assert slot(events, "program") == "21"


def test_recommendation_with_a_place_in_the_same_message():
    text, _, _, events = run(ActionRecommendProgram(), "八戸で起業したい", "program_startup_support")
    assert "はちのへ創業・事業承継サポートセンター" in text and "0178-51-9593" in text
    assert slot(events, "location") == "八戸市"


def test_close_program_intents_ask_which_one():
    ranking = [{"name": "program_taiwan_market", "confidence": 0.48},
               {"name": "program_hong_kong_market", "confidence": 0.41}]
    _, programs, messages, events = run(ActionRecommendProgram(), "アジアに売りたい", "program_taiwan_market",
                                        ranking=ranking)
    assert [p["section"] for p in programs[0]] == [11, 12] and len(messages[0]["buttons"]) == 2 and events == []


def test_market_named_decides_at_once():
    _, programs, _, _ = run(ActionWhichProgram(), "香港に販路を広げたい", "need_market_expansion")
    assert [p["section"] for p in programs[0]] == [12]


@pytest.mark.parametrize("intent, expected", [
    ("ask_fax", "017-775-7076"), ("ask_email", "wakamono@pref.aomori.lg.jp"), ("ask_cost", "無料"),
    ("ask_limits", "2回"), ("ask_eligibility", "採用を予定している事業者"), ("ask_place", "アスパム"),
])
def test_follow_up_fields_come_from_the_store(intent, expected):
    text, programs, _, _ = run(ActionAnswerField(), "それは？", intent, slots={"program": "2"})
    assert expected in text and programs[0][0]["section"] == 2


def test_follow_up_without_a_program_asks_which():
    text, programs, messages, _ = run(ActionAnswerField(), "費用は？", "ask_cost")
    assert programs == [[]] and messages[0]["buttons"] and "どの支援" in text


def test_missing_field_is_said_honestly():
    text, _, _, _ = run(ActionAnswerField(), "FAXは？", "ask_fax", slots={"program": "1"})
    assert "記載がありません" in text and "017-734-9418" in text


def test_location_narrows_to_the_regional_desk():
    text, _, _, events = run(ActionAnswerLocation(), "平川市です", "inform_location", slots={"program": "13"})
    assert "中南地域県民局" in text and "0172-33-2902" in text and slot(events, "location") == "平川市"


@pytest.mark.parametrize("intent, text, expected, section", [
    ("ask_innovation_eligibility", "卸売業で従業員450人ですが対象？", "卸売業は従業員400人以下が対象のため、450人では対象外です", 5),
    ("ask_growth_requirement", "5年計画だと？", "15%以上", 5),
    ("ask_cost_share", "専門家派遣で費用が9万円なら自己負担は？", "自己負担は3万円", 19),
    ("ask_cost_share", "GL枠でデューデリジェンスに600万円", "上限300万円", 22),
])
def test_rule_answers(intent, text, expected, section):
    answer, programs, _, _ = run(ActionAnswerRule(), text, intent)
    assert expected in answer and programs[0][0]["section"] == section


def test_out_of_scope_offers_the_general_desk_and_no_program():
    text, programs, messages, _ = run(ActionFallback(), "明日の天気は？", "out_of_scope")
    assert programs == [[]] and "017-721-3787" in text and messages[0]["buttons"]


def test_unsure_guess_offers_likely_programs_not_a_recommendation():
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "program_innovation", "confidence": 0.25},
               {"name": "program_medical_care_products", "confidence": 0.2}]
    text, programs, messages, _ = run(ActionFallback(), "病院向けの試作", "nlu_fallback", ranking=ranking)
    assert programs == [[]] and "読み取れませんでした" in text and "017-721-3787" in text
    assert ['"7"' in b["payload"] for b in messages[0]["buttons"]] == [True, False]
    assert '"8"' in messages[0]["buttons"][1]["payload"]


@pytest.mark.parametrize("problem, words", [("empty", "空"), ("too_long", "長すぎる"), ("no_text", "絵文字"),
                                            ("non_japanese", "日本語")])
def test_bad_input_answers(problem, words):
    entity = {"entity": "input_problem", "value": problem}
    text, programs, _, events = run(ActionBadInput(), "", "bad_input", slots={"program": "21"}, entities=[entity])
    assert words in text and programs == [[]] and events == []  # the program slot is left as it was


def test_unknown_program_button_offers_topics_instead_of_failing():
    entity = {"entity": "program", "value": "99"}
    text, programs, messages, events = run(ActionRecommendProgram(), '/choose_program{"program":"99"}',
                                           "choose_program", entities=[entity])
    assert programs == [[]] and messages[0]["buttons"] and events == []


def test_nearby_room_is_given_with_its_extension():
    text, _, _, _ = run(ActionRecommendProgram(), "黒石で起業したい", "program_startup_support")
    assert "黒石市創業相談ルーム" in text and "0172-52-2111（内線641）" in text
