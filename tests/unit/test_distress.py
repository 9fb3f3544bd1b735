"""An owner who says it hurts without asking anything (knowledge/distress.yml): one kind sentence, then the desks for
a business in trouble, the revitalization council first when money owed is named and the general desk first
otherwise (roles.yml `candidates.debt` / `candidates.hardship`), each with the phone the store gives. A worker's
unpaid wages stay another office's question, however hard it is."""
from __future__ import annotations

import re

import pytest

from bot.actions.program_actions import ActionRecommendProgram
from bot.actions.unsure_actions import ActionFallback
from knowledge import distress, facts, query
from tests.unit.test_actions import run

PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")
KIND = "一人で抱え込まず"


def phones(db, situation):
    return [facts.desk_phone(program.main_desk) for program in query.candidates(db, situation)]


@pytest.mark.parametrize("text, trouble", [
    ("今月もう回らない", distress.HARDSHIP),
    ("売上が半分になってしまった。どうしたら…", distress.HARDSHIP),
    ("返済がきつくて眠れない", distress.DEBT),
    ("店っこもう回らねぇ", distress.HARDSHIP),
    ("銀行さ払えねぇ", distress.DEBT),
    ("ｷﾂｲ 資金繰り", distress.DEBT),
    ("人手不足で採用したい", None),
    ("/program_startup_support", None),
])
def test_the_words_say_whether_it_hurts_and_whether_money_is_owed(db, text, trouble):
    assert distress.trouble(db, text) == trouble
    assert distress.hurts(db, text) is (trouble is not None)


@pytest.mark.parametrize("text, situation", [
    ("返済がきつくて眠れない", distress.DEBT),
    ("正直、もう限界です", distress.HARDSHIP),
])
def test_nothing_leaning_gets_a_kind_sentence_and_the_desks_for_trouble_the_right_one_first(db, text, situation):
    result = run(ActionFallback(), text, "nlu_fallback", confidence=0.2)
    assert result.text.index(KIND) < result.text.index("「")
    assert PHONE.findall(result.text) == phones(db, situation), result.text
    assert [p["section"] for p in result.programs[0]] == [p.section for p in query.candidates(db, situation)]
    assert len(result.buttons) == 2 and result.slot("program") is None  # the user chooses


def test_out_of_scope_that_hurts_is_still_the_owners_trouble_unless_another_office_handles_it(db):
    owner = run(ActionFallback(), "店はやめたくない。けど家族にこれ以上迷惑かけられないし、もう限界", "out_of_scope")
    assert KIND in owner.text and PHONE.findall(owner.text) == phones(db, distress.HARDSHIP)
    worker = run(ActionFallback(), "給料が2か月も未払いで生活が苦しい", "out_of_scope")
    assert KIND not in worker.text and "労働基準監督署" in worker.text and worker.programs == []


def test_money_owed_half_read_as_another_program_puts_the_revitalization_council_first(db):
    ranking = [{"name": "program_business_succession", "confidence": 0.35},
               {"name": "program_startup_support", "confidence": 0.2}]
    result = run(ActionRecommendProgram(), "来週の決済、あと200万足りない。どうしよう", "program_business_succession",
                 ranking=ranking, confidence=0.35)
    sections = [p["section"] for p in result.programs[0]]
    assert sections == [query.candidates(db, distress.DEBT)[0].section, 21] and KIND in result.text


def test_a_sure_program_in_trouble_gets_the_kind_sentence_before_its_desk(db):
    result = run(ActionRecommendProgram(), "後継ぎがいなくて、もう店をたたむしかないのか", "program_business_succession")
    assert result.text.index(KIND) < result.text.index(facts.desk_phone(query.program(db, 21).main_desk))
