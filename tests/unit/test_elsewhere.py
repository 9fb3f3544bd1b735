"""Where the business is (knowledge/elsewhere.py, knowledge/elsewhere.yml) and what the actions make of it: a business
in another prefecture is told the programs are for businesses in Aomori and given no Aomori desk; someone moving
here gets the UIJ start-up program; a place named as a market changes nothing. And a kind sentence comes first when
the owner's own words say it hurts."""
from __future__ import annotations

import re
import shutil

import pytest
import yaml

from bot.actions.program_actions import ActionRecommendProgram
from bot.actions.question_actions import ActionAnswerField
from bot.actions.unsure_actions import ActionFallback
from knowledge import query
from knowledge.elsewhere import whereabouts
from knowledge.loader import DATA_DIR, KnowledgeDataError, read_guide
from tests.unit.test_actions import run

PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{3,4}")


@pytest.mark.parametrize("text, kind, prefecture", [
    ("秋田で居酒屋をやってますが、事業承継の相談はできますか", "elsewhere", "秋田県"),
    ("盛岡の会社ですが、採用がうまくいきません", "elsewhere", "岩手県"),
    ("北海道在住で、酪農をしています", "elsewhere", "北海道"),
    ("宮城県内の工務店です。下請けの代金が遅れてる", "elsewhere", "宮城県"),
    ("札幌で来年ラーメン屋を開きたい", "elsewhere", "北海道"),
    ("神戸の洋菓子店です。補助金の相談できますか", "elsewhere", "兵庫県"),
    ("金沢の漆器問屋でございます", "elsewhere", "石川県"),
    ("札幌市中央区で居酒屋を経営しています", "elsewhere", "北海道"),
    ("新潟市西区でパン屋やってます", "elsewhere", "新潟県"),
    ("京都の老舗です。後継者がいない", "elsewhere", "京都府"),
    ("仙台で印刷会社をしています。青森の補助金は使えますか", "elsewhere", "宮城県"),
    ("青森生まれですが、今は秋田で美容室をやっています", "elsewhere", "秋田県"),
    ("盛岡市内で運送業。青森の制度も使えるの？", "elsewhere", "岩手県"),
    ("横浜で小さなアプリを開発しています", "elsewhere", "神奈川県"),
    ("二戸で工務店をしています。青森側の現場も受けます", "elsewhere", "岩手県"),
    ("東京から青森に戻ってカフェを開きたい", "moving_in", "東京都"),
    ("大阪でずっと会社員でしたが、地元の八戸に帰って店を持ちたい", "moving_in", "大阪府"),
])
def test_a_business_outside_or_moving_in_is_recognised(db, text, kind, prefecture):
    found = whereabouts(db, text)
    assert found is not None and (found.kind, found.prefecture) == (kind, prefecture), found


@pytest.mark.parametrize("text", [
    "大阪の百貨店に売り込みたい",
    "首都圏のバイヤーを紹介してほしい。東京向けに販路を広げたい",
    "仙台の取引先から代金を勝手に減らされた",
    "岩手の取引先に納品してます",
    "東京の会社と取引してます",
    "大阪の百貨店の催事に出る予定です",
    "十和田のホテルです。秋田の業者さんとの取引で困ってる",
    "八戸で水産加工をしています。盛岡の会社から仕入れてます",
    "弘前で小さなカフェをやってます。仙台の会社と組みたい",
    "八戸で水産加工をしています",
    "南部町でりんご農家をしています",
    "後継ぎがいない",
])
def test_a_market_or_a_place_in_aomori_says_nothing_about_elsewhere(db, text):
    assert whereabouts(db, text) is None


def test_a_name_that_is_also_an_aomori_town_is_refused_by_the_loader(tmp_path):
    data = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.py", "*.db", "__pycache__"))
    path = data / "elsewhere.yml"
    places = yaml.safe_load(path.read_text(encoding="utf-8"))
    places["prefectures"][0]["names"].append("南部")
    path.write_text(yaml.safe_dump(places, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeDataError, match="南部 also names a municipality of Aomori Prefecture"):
        read_guide(data)


def test_a_business_elsewhere_gets_no_aomori_desk_whatever_the_nlu_reads(db):
    for action, intent in ((ActionRecommendProgram(), "program_business_succession"),
                           (ActionFallback(), "out_of_scope"), (ActionAnswerField(), "ask_phone")):
        result = run(action, "秋田で居酒屋をやってますが、事業承継の相談はできますか", intent, slots={"program": "21"})
        assert result.programs == [] and not PHONE.search(result.text), result.text
        assert "青森県内の事業者" in result.text and "秋田" in result.text
        moving_in = query.moving_in_program(db)
        assert moving_in.offers[-1].name in result.text
        assert [b["payload"] for b in result.buttons] == [f'/choose_program{{"program":"{moving_in.section}"}}']


def test_someone_moving_here_to_start_a_business_gets_the_uij_program(db):
    result = run(ActionFallback(), "東京から地元の弘前に戻って、小さな店を開きたい", "out_of_scope", confidence=0.4)
    assert result.programs[0][0]["section"] == query.moving_in_program(db).section


def test_a_market_elsewhere_is_answered_as_before():
    result = run(ActionRecommendProgram(), "大阪の百貨店に売り込みたい", "program_metropolitan_market")
    assert result.programs[0][0]["section"] == 17


def test_a_button_is_never_overridden_by_a_place():
    result = run(ActionRecommendProgram(), '/choose_program{"program":"21"}', "choose_program",
                 entities=[{"entity": "program", "value": "21"}])
    assert result.programs[0][0]["section"] == 21


def test_distress_gets_one_kind_sentence_before_the_desk():
    result = run(ActionRecommendProgram(), "返済がきつくて眠れない", "program_revitalization_council")
    first, *rest = result.text.split("\n")
    assert "一人で抱え込まず" in first and "「青森県中小企業活性化協議会」" in rest[0]
    plain = run(ActionRecommendProgram(), "後継ぎがいない", "program_business_succession")
    assert "抱え込まず" not in plain.text
