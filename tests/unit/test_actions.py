"""Custom actions run directly against a real knowledge database, their replies rendered by Rasa's own
response generator from the real domain.yml (no servers; the e2e tests run the same over REST)."""
from __future__ import annotations

import asyncio
from fractions import Fraction
from pathlib import Path

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.program_actions import ActionRecommendProgram, ActionWhichProgram
from bot.actions.question_actions import ActionAnswerField, ActionAnswerLocation, ActionAnswerRule
from bot.actions.unsure_actions import ActionBadInput, ActionFallback
from bot.limits import MAX_MESSAGE_CHARS
from eval.reply_lint import lint
from knowledge import facts, query, rules
from knowledge.locations import Location
from knowledge.models import Municipality

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
NLG = TemplatedNaturalLanguageGenerator(DOMAIN.responses)


@pytest.fixture(autouse=True)
def store(kb_url, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DB_URL", kb_url)


async def _render(messages):
    """What Rasa's server makes of the action's messages: the response filled with the action's facts."""
    tracker = DialogueStateTracker("test", DOMAIN.slots)
    out = []
    for message in messages:
        message = dict(message)
        name = message.pop("response", None)
        draft = {}
        if name:
            draft = await NLG.generate(name, tracker, "rest", **message)
            assert draft is not None, f"response {name} is not in the domain"
        draft.setdefault("buttons", [])
        draft["buttons"] = list(draft["buttons"] or []) + list(message.get("buttons") or [])
        if message.get("custom"):
            draft["custom"] = message["custom"]
        out.append(draft)
    return out


class Result:
    def __init__(self, rendered, events):
        self.messages = rendered
        self.events = events
        self.text = "\n".join(m.get("text") or "" for m in rendered)
        self.buttons = [b for m in rendered for b in m.get("buttons") or []]
        self.programs = [m["custom"]["programs"] for m in rendered if "programs" in (m.get("custom") or {})]
        assert len(self.programs) <= 1 and all(self.programs), f"at most one, non-empty programs payload: {rendered}"

    def slot(self, name):
        return next((e["value"] for e in self.events if e.get("event") == "slot" and e["name"] == name), None)


def main_desk(db, section):
    return query.program(db, section).main_desk


def places_near(db, section, municipality):
    """The program's places the store gives for a municipality: the regional desks a reply names there."""
    town = db.get(Municipality, municipality)
    places = query.places_near(query.program(db, section), Location(town.area, town.name))
    assert places, f"the store has no place of §{section} for {municipality}"
    return places


def phone_of(place):
    """A place's first phone, with its extension, as the store gives it."""
    contact = next(c for c in place.contacts if c.phone)
    return facts.phone_text(contact.phone, extension=contact.extension)


def yen(value):
    return f"{value // 10_000:,}万円" if value >= 10_000 and value % 10_000 == 0 else f"{value:,}円"


def run(action, text, intent, slots=None, entities=None, ranking=None, confidence=0.95, events=None):
    """``events``: the tracker's earlier events (the latest user message is added after them)."""
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or [],
               "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
    history = [*(events or []), {"event": "user", "text": text, "parse_data": message}]
    tracker = Tracker("test", slots or {}, message, history, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    result = Result(asyncio.run(_render(dispatcher.messages)), events)
    assert lint(result.text) == [], result.text
    assert "{" not in result.text, result.text
    return result


def test_recommendation_carries_the_contract_and_sets_the_program(db):
    desk = main_desk(db, 21)
    result = run(ActionRecommendProgram(), "後継ぎがいない", "program_business_succession")
    assert f"電話：{facts.desk_phone(desk)}" in result.text and result.programs[0][0]["section"] == 21
    assert result.programs[0][0]["phone"] == desk.phone and result.slot("program") == "21"


def test_recommendation_with_a_place_in_the_same_message(db):
    result = run(ActionRecommendProgram(), "八戸で起業したい", "program_startup_support")
    for place in places_near(db, 6, "八戸市"):
        assert place.name in result.text and phone_of(place) in result.text
    assert result.slot("location") == "八戸市"


def test_typed_section_number_is_chosen():
    result = run(ActionRecommendProgram(), "21番の支援について", "choose_program")
    assert result.programs[0][0]["section"] == 21


def test_close_program_intents_ask_which_one():
    ranking = [{"name": "program_taiwan_market", "confidence": 0.55},
               {"name": "program_hong_kong_market", "confidence": 0.43}]
    result = run(ActionRecommendProgram(), "アジアに売りたい", "program_taiwan_market", ranking=ranking, confidence=0.55)
    assert [p["section"] for p in result.programs[0]] == [11, 12] and len(result.buttons) == 2
    assert result.events == [] and "でしょうか" in result.text


def test_leaning_to_one_program_asks_to_confirm_it(db):
    ranking = [{"name": "program_business_succession", "confidence": 0.35},
               {"name": "out_of_scope", "confidence": 0.2}]
    result = run(ActionRecommendProgram(), "親父の店、だれかに", "program_business_succession", ranking=ranking,
                 confidence=0.35)
    assert [p["section"] for p in result.programs[0]] == [21] and result.events == []
    assert f"「{query.program(db, 21).name}」についてのご相談でしょうか" in result.text
    assert '"21"' in result.buttons[0]["payload"]


def test_leaning_to_a_program_the_store_no_longer_holds_offers_only_the_others():
    # a model trained before a program was removed or renamed still ranks its intent
    ranking = [{"name": "program_business_succession", "confidence": 0.35},
               {"name": "program_no_longer_in_the_guide", "confidence": 0.3}]
    result = run(ActionRecommendProgram(), "親父の店、だれかに", "program_business_succession", ranking=ranking,
                 confidence=0.35)
    assert [p["section"] for p in result.programs[0]] == [21] and "でしょうか" in result.text


def test_market_named_decides_at_once():
    result = run(ActionWhichProgram(), "香港に販路を広げたい", "need_market_expansion")
    assert [p["section"] for p in result.programs[0]] == [12]


@pytest.mark.parametrize("intent, label, field", [
    ("ask_fax", "FAX", "fax"), ("ask_email", "メール", "email"), ("ask_cost", "費用", "cost"),
    ("ask_limits", "回数", "limits"), ("ask_eligibility", "対象", "target"), ("ask_place", "場所", "address"),
    ("ask_hours", "受付時間", "hours"),
])
def test_follow_up_fields_come_from_the_store(db, intent, label, field):
    value = query.field_value(query.program(db, 2), field)
    assert value, f"§2 states no {field} in the store"
    result = run(ActionAnswerField(), "それは？", intent, slots={"program": "2"})
    assert f"{label}：{value}" in result.text and result.programs[0][0]["section"] == 2


@pytest.mark.parametrize("text", ["費用はかかりますか", "申し込みの方法を知りたい", "誰が対象ですか", "専門家派遣の費用は？"])
def test_generic_words_never_move_the_conversation(text):
    result = run(ActionAnswerField(), text, "ask_cost", slots={"program": "2"})
    assert result.programs[0][0]["section"] == 2 and result.slot("program") == "2"


def test_naming_another_program_moves_the_conversation(db):
    result = run(ActionAnswerField(), "事業承継の電話番号は？", "ask_phone", slots={"program": "2"})
    assert f"電話：{facts.desk_phone(main_desk(db, 21))}" in result.text
    assert main_desk(db, 2).phone not in result.text
    assert result.programs[0][0]["section"] == 21 and result.slot("program") == "21"


def test_a_field_that_points_to_a_list_shows_the_list(db):
    program = next((p for p in query.all_programs(db) if p.eligibility_conditions
                    and facts.points_to_a_list(p.eligibility_target or "")), None)
    assert program, "the store has no target that points to a list of conditions"
    result = run(ActionAnswerField(), "対象は？", "ask_eligibility", slots={"program": str(program.section)})
    assert f"対象：{program.eligibility_target}" in result.text and result.programs[0][0]["section"] == program.section
    for condition in program.eligibility_conditions:
        assert f"・{condition}" in result.text


def test_follow_up_without_a_program_asks_which():
    result = run(ActionAnswerField(), "費用は？", "ask_cost")
    assert result.programs == [] and result.buttons and "どの支援" in result.text


def test_unsure_follow_up_about_the_program_in_focus_is_answered(db):
    ranking = [{"name": "ask_cost", "confidence": 0.4}, {"name": "ask_limits", "confidence": 0.3}]
    result = run(ActionAnswerField(), "それってタダ？", "ask_cost", slots={"program": "21"}, ranking=ranking,
                 confidence=0.4)
    assert f"費用：{query.program(db, 21).cost_text}" in result.text and result.programs[0][0]["section"] == 21


def test_anything_else_unclear_is_answered_with_the_desk_of_the_program_in_focus(db):
    ranking = [{"name": "need_market_expansion", "confidence": 0.2}, {"name": "thanks", "confidence": 0.1}]
    result = run(ActionWhichProgram(), "取引先に漏れないか心配", "need_market_expansion", slots={"program": "21"},
                 ranking=ranking, confidence=0.2)
    assert result.programs[0][0]["section"] == 21 and result.events == []
    assert f"電話：{facts.desk_phone(main_desk(db, 21))}" in result.text


def test_a_new_program_the_nlu_leans_to_is_offered_without_leaving_the_program_in_focus(db):
    ranking = [{"name": "program_subcontracting", "confidence": 0.4}, {"name": "ask_hours", "confidence": 0.3}]
    result = run(ActionRecommendProgram(), "元請との取引で", "program_subcontracting", slots={"program": "21"},
                 ranking=ranking, confidence=0.4)
    assert [p["section"] for p in result.programs[0]] == [21]
    assert f"電話：{facts.desk_phone(main_desk(db, 21))}" in result.text
    assert ['"20"' in b["payload"] for b in result.buttons] == [True] and result.events == []


def test_missing_field_is_said_honestly(db):
    program = next((p for p in query.all_programs(db) if not any(d.fax for d in p.desks)), None)
    assert program, "every program has a FAX number in the store: no missing field to ask for"
    result = run(ActionAnswerField(), "FAXは？", "ask_fax", slots={"program": str(program.section)})
    assert "記載がありません" in result.text and result.programs[0][0]["section"] == program.section
    assert f"電話：{facts.desk_phone(program.main_desk)}" in result.text


def test_the_main_desk_answers_unless_a_desk_of_its_own_is_named(db):
    """A program with several desks: a plain 「電話は？」 gets the main desk only; a sub-service or desk named
    (knowledge data: the desk's name, aliases, serves) gets that desk's number and not the main one's."""
    program = next((p for p in query.all_programs(db) if sum(bool(d.phone) for d in p.desks) > 1), None)
    assert program, "no program has several desks with a phone in the store"
    main, other = program.main_desk, next(d for d in program.desks[1:] if d.phone and (d.serves or d.aliases))
    result = run(ActionAnswerField(), "電話は？", "ask_phone", slots={"program": str(program.section)})
    assert f"電話：{facts.desk_phone(main)}" in result.text and other.phone not in result.text
    word = (other.serves or other.aliases)[0]
    result = run(ActionAnswerField(), f"{word}の電話は？", "ask_phone", slots={"program": str(program.section)})
    assert f"電話：{facts.desk_phone(other)}" in result.text and main.phone not in result.text
    assert result.programs[0][0]["section"] == program.section and result.programs[0][0]["phone"] == other.phone


def test_location_narrows_to_the_regional_desk(db):
    near = places_near(db, 13, "平川市")
    result = run(ActionAnswerLocation(), "平川市です", "inform_location", slots={"program": "13"})
    for place in near:
        assert place.name in result.text and phone_of(place) in result.text
    assert not [p.name for p in query.program(db, 13).places if p not in near and p.name in result.text]
    assert result.slot("location") == "平川市"


def test_location_of_a_program_with_one_desk(db):
    result = run(ActionAnswerLocation(), "むつ市です", "inform_location", slots={"program": "21"})
    assert "むつ市からも同じ窓口" in result.text and f"電話：{facts.desk_phone(main_desk(db, 21))}" in result.text


@pytest.mark.parametrize("intent, text, expected, section", [
    ("ask_innovation_eligibility", "卸売業で従業員450人ですが対象？",
     "卸売業は従業員400人以下が対象のため、従業員450人では人数の条件を満たしません", 5),
    ("ask_innovation_eligibility", "小売業で従業員300人", "従業員300人でしたら、人数の条件を満たしています", 5),
    ("ask_innovation_eligibility", "うちは建設業で従業員350人", "「建設業」という区分は記載がありません", 5),
    ("ask_innovation_eligibility", "従業員20人の会社ですが", "どの業種でも人数の条件を満たしています", 5),
    ("ask_innovation_eligibility", "従業員800人", "どの業種でも人数の条件を満たしません", 5),
    ("ask_growth_requirement", "5年計画だと？", "15%以上", 5),
    ("ask_growth_requirement", "4年計画だと？", "給与支給総額：6.0%以上", 5),
    ("ask_cost_share", "専門家派遣で費用が9万円なら自己負担は？", "自己負担は3万円", 19),
    ("ask_cost_share", "GL枠でデューデリジェンスに600万円", "上限の300万円", 22),
])
def test_rule_answers(intent, text, expected, section):
    result = run(ActionAnswerRule(), text, intent)
    assert expected in result.text and result.programs[0][0]["section"] == section


def test_cost_share_question_about_a_program_without_a_share_answers_its_cost():
    result = run(ActionAnswerRule(), "自己負担はいくらになりますか", "ask_cost_share", slots={"program": "6"})
    assert result.programs[0][0]["section"] == 6 and result.slot("program") == "6"


def test_eligibility_question_stays_on_the_program_in_focus():
    result = run(ActionAnswerRule(), "うちは従業員120人だけど対象になる？", "ask_innovation_eligibility",
                 slots={"program": "2"})
    assert result.programs[0][0]["section"] == 2


def test_out_of_scope_offers_the_general_desk_and_no_program(db):
    result = run(ActionFallback(), "明日の天気は？", "out_of_scope")
    assert result.programs == [] and result.buttons
    assert f"電話：{facts.desk_phone(query.general_desk(db).main_desk)}" in result.text


def test_leaning_to_nothing_says_so_and_recommends_nothing(db):
    ranking = [{"name": "ask_hours", "confidence": 0.3}, {"name": "out_of_scope", "confidence": 0.28}]
    result = run(ActionAnswerField(), "燃えないごみって何曜日", "ask_hours", ranking=ranking, confidence=0.3)
    assert result.programs == [] and "読み取れませんでした" in result.text
    assert f"電話：{facts.desk_phone(query.general_desk(db).main_desk)}" in result.text


@pytest.mark.parametrize("problem, words", [("empty", "空"), ("too_long", f"{MAX_MESSAGE_CHARS:,}文字まで"), ("no_text", "絵文字"),
                                            ("non_japanese", "日本語")])
def test_bad_input_answers(problem, words):
    entity = {"entity": "input_problem", "value": problem}
    result = run(ActionBadInput(), "", "bad_input", slots={"program": "21"}, entities=[entity])
    assert words in result.text and result.programs == [] and result.events == []


def test_unknown_program_button_offers_topics_instead_of_failing():
    entity = {"entity": "program", "value": "99"}
    result = run(ActionRecommendProgram(), '/choose_program{"program":"99"}', "choose_program", entities=[entity])
    assert result.programs == [] and result.buttons and result.events == []


def test_an_overflowing_button_value_gets_a_polite_answer():
    entity = {"entity": "program", "value": "9" * 320}
    result = run(ActionRecommendProgram(), "/choose_program", "choose_program", entities=[entity])
    assert result.programs == [] and result.text


def test_nearby_room_is_given_with_its_extension(db):
    result = run(ActionRecommendProgram(), "黒石で起業したい", "program_startup_support")
    for place in places_near(db, 6, "黒石市"):
        assert place.name in result.text and phone_of(place) in result.text  # 「…（内線641）」 when the store has one


def test_unsure_message_naming_a_town_narrows_the_program_in_focus(db):
    ranking = [{"name": "inform_location", "confidence": 0.17}, {"name": "ask_place", "confidence": 0.15}]
    result = run(ActionAnswerLocation(), "十和田に住んでるんで、近い窓口がいい", "inform_location",
                 slots={"program": "13"}, ranking=ranking, confidence=0.17)
    assert result.programs[0][0]["section"] == 13
    for place in places_near(db, 13, "十和田市"):
        assert place.name in result.text
    assert result.slot("location") == "十和田市"


def test_unsure_question_about_the_same_program_is_answered():
    ranking = [{"name": "program_intellectual_property", "confidence": 0.49},
               {"name": "ask_place", "confidence": 0.12}]
    result = run(ActionRecommendProgram(), "その知財の窓口ってどこにあるの？", "program_intellectual_property",
                 slots={"program": "9"}, ranking=ranking, confidence=0.49)
    assert result.programs[0][0]["section"] == 9 and "窓口・会場" in result.text


def test_a_named_program_the_nlu_finds_likely_wins():
    ranking = [{"name": "program_human_resources", "confidence": 0.62},
               {"name": "program_construction_jobs", "confidence": 0.28}]
    result = run(ActionRecommendProgram(), "若い人が入ってこない、建設業の就職相談窓口があるなら教えて",
                 "program_human_resources", ranking=ranking, confidence=0.62)
    assert result.programs[0][0]["section"] == 15


def test_small_talk_is_answered_when_sure_and_kept_in_context_when_not():
    from bot.actions.greeting import ActionSmallTalk

    assert "どういたしまして" in run(ActionSmallTalk(), "助かりました", "thanks").text
    ranking = [{"name": "bot_challenge", "confidence": 0.28}, {"name": "need_expert_dispatch", "confidence": 0.15}]
    result = run(ActionSmallTalk(), "窓口の人に直接会えますか", "bot_challenge", slots={"program": "21"},
                 ranking=ranking, confidence=0.28)
    assert result.programs[0][0]["section"] == 21 and "AIアシスタント" not in result.text


def test_cost_share_frames_are_shown_with_their_own_figures(db):
    frames = [r for r in rules.cost_share_frames(db, 22) if r.param("frame")]
    assert frames and all(r.param("caps") for r in frames), "§22 has no cost-share frames with caps in the store"
    result = run(ActionAnswerRule(), "自己負担はどのくらい？", "ask_cost_share", slots={"program": "22"})
    for frame in frames:
        share = Fraction(frame.param("share"))
        assert f"【{frame.param('frame')}】{frame.param('plan')}" in result.text
        assert f"・支援の割合：費用の{share.denominator}分の{share.numerator}" in result.text
        for cap in frame.param("caps"):
            assert f"{cap['item']} {yen(cap['cap_yen'])}" in result.text


def test_a_bad_input_guessed_by_the_nlu_is_an_unclear_message_in_context(db):
    """Only the input guard's bad_input (with input_problem) is certain; DIET's own guess is judged like any other."""
    result = run(ActionBadInput(), "佐藤と申します。折り返しお電話ください", "bad_input", slots={"program": "21"},
                 confidence=0.6)
    desk = query.program(db, 21).main_desk
    assert "絵文字" not in result.text and facts.desk_phone(desk) in result.text
    assert [p["section"] for p in result.programs[0]] == [21] and result.slot("program") in (None, "21")


def test_where_a_sub_service_is_held_lists_its_venues_when_its_desk_has_no_address(db):
    """「その相談会ってどこでやってるの？」: the word names the booking desk, which has no address; its venues are."""
    program = next(p for p in query.all_programs(db)
                   if p.places and any(d.serves and not (d.address or d.location) for d in p.desks[1:]))
    desk = next(d for d in program.desks[1:] if d.serves and not (d.address or d.location))
    result = run(ActionAnswerField(), f"その{desk.serves[-1]}ってどこでやってるの？", "ask_place",
                 slots={"program": str(program.section)})
    assert all(place.name in result.text for place in program.places) and "記載がありません" not in result.text
