"""Who is asking: a worker's, a consumer's, a student's or a household's question the guide does not cover is
answered honestly, naming the office that handles it (knowledge/offices.yml, names only); the only desk named is
the general one, for management questions, as in every out-of-scope answer."""
from __future__ import annotations

import re

import pytest

from bot.actions.unsure_actions import ActionFallback
from knowledge import facts, query
from knowledge.offices import office_for
from tests.unit.test_actions import run

PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")


@pytest.mark.parametrize("text, office", [
    ("会社の給料がもう2か月も遅れてる", "労働基準監督署"),
    ("ネット通販で買った服を返品したい", "消費生活センター"),
    ("就活の履歴書の書き方を教えて", "ハローワーク"),
    ("自宅の屋根に太陽光をつける補助はありますか", "市町村"),
])
def test_a_question_of_another_office_names_it_and_no_desk_but_the_general_one(db, text, office):
    assert office in (office_for(db, text) or "")
    result = run(ActionFallback(), text, "out_of_scope")
    general = facts.desk_phone(query.general_desk(db).main_desk)
    assert office in result.text and result.programs == [], result.text
    assert PHONE.findall(result.text) == [general], result.text
    assert result.buttons  # an owner can still pick a topic


def test_anything_else_out_of_scope_gets_the_general_desk_as_before(db):
    assert office_for(db, "今日は寒いですね") is None
    result = run(ActionFallback(), "今日は寒いですね", "out_of_scope")
    assert result.programs == [] and "よろず支援拠点" in result.text
