"""The one ambiguity policy: act when sure, ask when leaning, be honest otherwise."""
from __future__ import annotations

from bot.actions import understanding
from bot.actions.understanding import CLOSE_MARGIN, CONFIDENT, LEANING


def message(*ranking, text="ふつうの文"):
    ranking = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"text": text, "intent": ranking[0], "intent_ranking": ranking}


def test_confident_intent_is_acted_on():
    reading = understanding.read(message(("program_business_succession", CONFIDENT + 0.3)))
    assert reading.sure and reading.intent == "program_business_succession"


def test_two_close_programs_are_asked_about_in_confidence_order():
    top = CONFIDENT + 0.05
    reading = understanding.read(message(("program_taiwan_market", top),
                                         ("program_hong_kong_market", top - CLOSE_MARGIN / 2)))
    assert not reading.sure and reading.candidates == ("taiwan-market", "hong-kong-market")


def test_leaning_programs_become_candidates_and_weak_ones_do_not():
    reading = understanding.read(message(("ask_limits", CONFIDENT - 0.1), ("program_business_succession", LEANING + 0.05),
                                         ("program_yorozu_support", LEANING / 2)))
    assert not reading.sure and reading.candidates == ("business-succession",)


def test_unsure_out_of_scope_never_becomes_a_program():
    reading = understanding.read(message(("out_of_scope", CONFIDENT - 0.1), ("program_yorozu_support", LEANING + 0.1)))
    assert not reading.sure and reading.candidates == ()


def test_buttons_are_always_meant():
    reading = understanding.read(message(("choose_program", 1.0), text='/choose_program{"program":"5"}'))
    assert reading.sure


def test_an_intent_triggered_from_outside_is_meant():
    """``trigger_intent`` (e.g. a LINE push) gives Rasa's EXTERNAL text and no confidence: still meant."""
    reading = understanding.read({"text": "EXTERNAL: greet", "intent": {"name": "greet"}})
    assert reading.sure and reading.intent == "greet"


def test_bad_input_is_certain_only_from_the_input_guard():
    guessed = understanding.read({"text": "佐藤と申します", "intent": {"name": "bad_input", "confidence": 0.9}})
    guarded = understanding.read({"text": "😀", "intent": {"name": "bad_input", "confidence": 1.0},
                                  "entities": [{"entity": "input_problem", "value": "no_text"}]})
    assert not guessed.sure and guarded.sure
