"""The program under discussion changes only when the user names another program.

Uses the blind follow-up phrasings of the conversation matrix (tests/e2e/conversation_matrix.yml):
generic words (費用, 対象, 申し込み, 専門家 …) must never switch, a named program always does.
"""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from bot.actions import focus
from eval import cases
from knowledge import query

MATRIX = cases.matrix()
FOLLOWUPS = [s for phrasings in MATRIX["followups"].values() for s in phrasings] + MATRIX["generic_not_switch"]


def tracker(text, section):
    message = {"text": text, "intent": {"name": "ask_cost", "confidence": 0.9}, "entities": []}
    return Tracker("t", {"program": str(section)}, message, [], False, None, {}, "action_listen")


def test_generic_follow_ups_never_switch(db):
    for program in query.all_programs(db):
        for text in FOLLOWUPS:
            assert focus.program_in_focus(db, tracker(text, program.section)).section == program.section, text


@pytest.mark.parametrize("section", range(1, 23))
def test_naming_a_program_switches_to_it(db, section):
    for text in MATRIX["switches"][section]:
        for current in (2, 21):  # from two different programs
            if current == section:
                continue
            assert focus.program_in_focus(db, tracker(text, current)).section == section, text


def test_naming_the_program_under_discussion_stays(db):
    assert focus.program_in_focus(db, tracker("専門家派遣の費用は？", 2)).section == 2
    assert focus.program_in_focus(db, tracker("事業承継の電話番号は？", 2)).section == 21
