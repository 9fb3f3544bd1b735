"""The one choice of desk or place (knowledge/answers.py), the guide's passages, and the user's figures, on the
real store. Every expectation is read from the store's records, so a new desk or room is covered without a test
naming it."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.actions import parsing
from knowledge import answers, passages, query, rules
from knowledge.locations import Location, find_location
from knowledge.text import compact

SOURCE = Path(__file__).resolve().parents[2] / "knowledge" / "source" / "aomori-support-guide-III.txt"


def places_with_town(kb):
    return [(program, place) for program in query.all_programs(kb) for place in program.places if place.city]


def test_the_users_town_chooses_its_own_room_for_every_program(kb):
    for program, place in places_with_town(kb):
        location = find_location(kb, place.city)
        spot = answers.choose(program, "電話は？", said=location)
        assert spot.place is not None and spot.place.city == place.city, (program.section, place.name)
        assert spot.via == "place"


def test_a_town_said_earlier_still_chooses_the_room_and_a_new_town_wins(kb):
    program, place = next((p, pl) for p, pl in places_with_town(kb) if len({x.city for x in p.places}) > 2)
    other = next(x for x in program.places if x.city and x.city != place.city)
    earlier = find_location(kb, place.city)
    assert answers.choose(program, "FAXは？", remembered=earlier).place.city == place.city
    assert answers.choose(program, "FAXは？", said=find_location(kb, other.city), remembered=earlier).place.city \
        == other.city


def test_a_town_without_a_room_gets_the_room_of_its_area_else_the_main_desk(kb):
    program = query.program(kb, 6)  # rooms in several towns; 平川市 has none but its area (中南) has 弘前's
    spot = answers.choose(program, "", said=find_location(kb, "平川市"))
    assert spot.place is not None and spot.place.area == find_location(kb, "平川市").area
    lonely = next(p for p in query.all_programs(kb) if not p.places)
    assert answers.choose(lonely, "", said=find_location(kb, "むつ市")).is_main


def test_every_desk_and_place_can_be_named_and_the_name_beats_the_town(kb):
    for program in query.all_programs(kb):
        for desk in program.desks[1:]:
            word = (desk.serves or desk.aliases)[0]
            spot = answers.choose(program, f"{word}の電話", said=find_location(kb, "むつ市"))
            # the desk itself, or the user's town's venue of what it serves, booked through it
            assert spot.desk is desk or spot.reached_through is desk, (program.section, word)
        for place in program.places:
            for name in [place.name, *place.aliases]:
                spot = answers.choose(program, f"{name}のFAX", said=find_location(kb, "八戸市"))
                assert spot.place is not None and spot.place.name == place.name, (program.section, name)


def test_a_sub_service_chosen_before_stays_chosen_for_the_next_question(kb):
    program = next(p for p in query.all_programs(kb) if len(p.desks) > 1 and p.desks[1].serves)
    chosen = answers.choose(program, f"{program.desks[1].serves[0]}の電話は？")
    again = answers.choose(program, "FAXは？", remembered_key=chosen.key)
    assert again.desk is program.desks[1] and again.via == "remembered"
    assert answers.choose(program, "FAXは？").is_main


def test_a_venue_without_contacts_is_reached_through_the_booking_desk_else_the_main_desk(kb):
    for program in query.all_programs(kb):
        for place in program.places:
            spot = answers.Spot(program, place=place)
            if place.contacts:
                assert spot.reached_through is None
            else:
                booking = [d for d in program.desks if d.role == answers.BOOKING_ROLE]
                assert spot.reached_through is (booking[0] if booking else program.main_desk)


def test_several_facts_in_one_question_in_the_order_asked(kb):
    assert answers.fields_asked(kb, "FAXとメール両方教えて") == ["fax", "email"]
    assert answers.fields_asked(kb, "場所と時間は？") == ["address", "hours"]
    assert answers.fields_asked(kb, "何回まで？費用は？") == ["limits", "cost"]
    assert answers.fields_asked(kb, "ＦＡＸ番号を教えてください") == ["fax"]  # not also a phone question
    assert answers.fields_asked(kb, "天気はどう？") == []


def test_a_desks_name_is_no_question_and_situation_words_ask_only_in_a_follow_up(kb):
    program = next(p for p in query.all_programs(kb) if any("無料相談会" in (d.serves or []) for d in p.desks))
    assert "cost" not in answers.fields_asked(kb, "無料相談会に行きたい", program)
    assert answers.fields_asked(kb, "募集しても人が来ない", followup=False) == []
    assert answers.fields_asked(kb, "募集はいつ？", followup=True) == ["period"]


def test_a_fact_the_chosen_record_lacks_is_missing_and_its_contacts_are_given(kb):
    for program in query.all_programs(kb):
        for spot in [answers.choose(program)] + [answers.Spot(program, place=p) for p in program.places]:
            answer = answers.answer(kb, spot, ["phone", "fax", "email"])
            for fact in answer.facts:
                values = answers.fact_lines_of(spot, [fact.field])
                assert fact.missing == (not values)
            assert answers.contact_summary(spot), (program.section, spot.name)  # every record can be called


def test_a_place_with_two_contacts_gives_both_labelled(kb):
    program, place = next((p, pl) for p in query.all_programs(kb) for pl in p.places if len(pl.contacts) > 1)
    lines = answers.answer(kb, answers.Spot(program, place=place), ["phone"]).facts[0].lines
    assert len(lines) == len(place.contacts)
    for contact, line in zip(place.contacts, lines):
        assert contact.phone in line and contact.name in line


# ---- passages ------------------------------------------------------------------------------------------

def test_the_guide_is_cut_into_every_programs_passages_with_announced_lists_kept_whole():
    found = passages.guide_passages(SOURCE, 22)
    assert sorted(found) == list(range(1, 23)) and all(found.values())
    listed = [p for texts in found.values() for p in texts if "\n" in p]
    assert listed and all(passages.ANNOUNCES_LIST.search(p.split("\n")[0]) for p in listed)
    contact_lines = [p for texts in found.values() for p in texts if passages.CONTACT_LINE.search(p)]
    assert contact_lines == []


@pytest.mark.parametrize("section, question, phrase", [
    (21, "相談は秘密にしてもらえますか", "秘密厳守"),
    (3, "いつから募集？", "令和6年6月"),
    (5, "承認されたらどんな支援がある？", "低利融資制度"),
])
def test_a_question_no_field_answers_gets_the_guides_sentence(kb, section, question, phrase):
    program = query.program(kb, section)
    quote = passages.best_quote(kb, section, question, known=passages.identity(program))
    assert quote is not None and phrase in quote.text


def test_a_question_the_guide_is_silent_on_gets_no_sentence(kb):
    for program in query.all_programs(kb):
        assert passages.best_quote(kb, program.section, "駐車場はありますか", known=passages.identity(program)) \
            is None


# ---- the user's figures ------------------------------------------------------------------------------

def test_the_sum_formulas_compute_from_the_users_amounts(kb):
    value_added, payroll = rules.sum_formulas(kb)
    given = parsing.labelled_amounts("営業利益800万円、人件費2,500万円、減価償却費300万円", value_added.words())
    assert rules.sum_of(value_added, given, 12).total_yen == 36_000_000
    assert rules.sum_of(value_added, given, 12).per_employee_yen == 3_000_000
    given = parsing.labelled_amounts("役員報酬720万、給料2880万、残業手当150万、家族手当50万、退職金300万",
                                     payroll.words())
    result = rules.sum_of(payroll, given)
    assert result.total_yen == 7_200_000 + 28_800_000 + 1_500_000 + 500_000
    assert [item for item, _ in result.left_out] == ["退職金"]


def test_growth_targets_use_the_guides_rate_for_the_plan_length(kb):
    for need in rules.growth_table(kb):
        assert rules.growth_target(10_000_000, need.value_added_percent) == round(
            10_000_000 * (1 + need.value_added_percent / 100))
    assert rules.growth_percent(40_000_000, 44_000_000) == 10


def test_names_compare_without_spaces_or_middle_dots():
    assert compact("イノベーション・ネットワーク") == compact("ｲﾉﾍﾞｰｼｮﾝ ﾈｯﾄﾜｰｸ")
    assert Location(area="東青") != Location(area="中南")
