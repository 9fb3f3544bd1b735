"""Who is asking (knowledge/askers.yml): a program's topic in a worker's, a student's or a household's own voice gets
the honest out-of-scope answer (no program, no desk phone but the general desk's), while an owner's words on the
same topic, a button, a follow-up and a job-seeker's construction question keep their program."""
from __future__ import annotations

import re

import pytest

from bot.actions.program_actions import ActionRecommendProgram
from bot.actions.question_actions import ActionAnswerField
from knowledge import askers, facts, query
from tests.unit.test_actions import run, store  # noqa: F401  (store: the actions read the test store)

PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")


@pytest.mark.parametrize("text, intent, office", [
    ("勤め先の社長に後継ぎがいなくて、来年で廃業するって。退職金は出るのかな", "program_business_succession", "労働基準監督署"),
    ("私たち従業員は事業承継のあとも雇ってもらえるんですかね", "program_business_succession", None),
    ("就活中の大学生です。青森の会社のインターンに参加したい", "program_human_resources", "就職相談"),
    ("我が家のエアコンを省エネのものに替えたら補助は出ますか", "program_energy_saving", "市町村"),
    ("専門学校でプログラミングを勉強中。DX関係の仕事に就きたい", "program_dx_support", None),
    ("家の窓を断熱にしたいんですが、個人でも使える補助はありますか", "program_energy_saving", None),
    ("会社から解雇されそうです。どこに相談すればいいですか", "program_human_resources", None),
    ("日当がもう3か月も未払いのままです", "program_subcontracting", None),
    ("着手金無料で事業承継のお手伝いをいたします。お気軽にご返信ください", "program_business_succession", None),
    ("就職したら地元の会社で企画の仕事がしたい。文系でも大丈夫？", "program_management_innovation", None),
])
def test_a_program_topic_in_someone_elses_voice_gets_the_honest_answer(db, text, intent, office):
    assert askers.not_an_owner(db, text)
    result = run(ActionRecommendProgram(), text, intent)
    general = query.general_desk(db)
    assert result.programs in ([], [[]]) and result.slot("program") is None
    assert PHONE.findall(result.text) == [facts.desk_phone(general.main_desk)], result.text
    if office:
        assert office in result.text


@pytest.mark.parametrize("text, intent, section", [
    ("うちの従業員が高齢で、事業承継を考えないといけない", "program_business_succession", 21),
    ("就活生に選ばれる会社になりたい。インターンの受け入れも相談したい", "program_human_resources", 2),
    ("店舗の省エネ改修を考えてます。家庭用じゃなくて事業用の補助", "program_energy_saving", 3),
    ("高校生です。将来は地元で自分の店を持ちたい", "program_startup_support", 6),
    ("建設業に就職したいです", "program_construction_jobs", 15),
    ("後継ぎがいない", "program_business_succession", 21),
    ("事業承継の相談をしたいので、担当の方からご連絡ください", "program_business_succession", 21),
])
def test_an_owners_words_and_a_job_seekers_program_keep_their_answer(db, text, intent, section):
    result = run(ActionRecommendProgram(), text, intent)
    assert result.programs[0][0]["section"] == section, result.text
    assert facts.desk_phone(query.program(db, section).main_desk) in result.text


def test_someone_elses_voice_is_answered_honestly_when_the_reading_is_unsure_too(db):
    """An unsure reading would ask about its candidates (「〜についてのご相談でしょうか？」): in a worker's voice it does not."""
    ranking = [{"name": "ask_eligibility", "confidence": 0.35}, {"name": "program_dx_support", "confidence": 0.3}]
    result = run(ActionRecommendProgram(), "会社のDX化で、パソコンが苦手な私はクビになるかもしれない", "ask_eligibility",
                 ranking=ranking, confidence=0.35)
    assert result.programs == [] and "ご相談でしょうか" not in result.text, result.text
    general = query.general_desk(db)
    assert PHONE.findall(result.text) == [facts.desk_phone(general.main_desk)], result.text


def test_a_student_coming_home_for_a_job_is_not_moving_here_to_start_a_business(db):
    text = "東京の大学に通っています。卒業したら地元の青森に戻って就職したいです"
    result = run(ActionRecommendProgram(), text, "program_startup_support", confidence=0.7)
    assert result.programs in ([], [[]]), result.text
    owner = run(ActionRecommendProgram(), "東京で働いてますが、地元の青森に戻って店を開きたい", "program_startup_support")
    assert owner.programs[0][0]["section"] == query.moving_in_program(db).section


def test_a_button_and_a_follow_up_keep_their_program(db):
    button = run(ActionRecommendProgram(), '/program_human_resources', "program_human_resources")
    assert button.programs[0][0]["section"] == 2
    followup = run(ActionAnswerField(), "大学生でも使えますか", "ask_eligibility", slots={"program": "15"})
    assert followup.programs and followup.programs[0][0]["section"] == 15, followup.text
