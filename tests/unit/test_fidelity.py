"""The data against the guide itself: every contact and every number must be the guide's own."""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, Set

import pytest

from knowledge import catalog
from knowledge.loader import read_guide

PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{4}")
EMAIL = re.compile(r"[\w.+\\-]+@[\w-]+(?:\.[\w-]+)+")
HEADING = re.compile(r"^#{2,4}\s+(\d{1,2})\s", re.MULTILINE)


def guide_sections(guide_text: str) -> Dict[int, str]:
    """The guide's text cut at its numbered headings (1, 2, 3 … in order)."""
    text = unicodedata.normalize("NFKC", guide_text)
    starts, expected = [], 1
    for match in HEADING.finditer(text):
        if int(match.group(1)) == expected:
            starts.append(match.start())
            expected += 1
    bounds = starts + [len(text)]
    return {i + 1: text[bounds[i]:bounds[i + 1]] for i in range(len(starts))}


@pytest.fixture(scope="module")
def sections(guide_text):
    return guide_sections(guide_text)


@pytest.fixture(scope="module")
def programs():
    return {p.section: p for p in read_guide().programs}


def contacts_in_data(program) -> Dict[str, Set[str]]:
    phones, emails = set(), set()
    for desk in program.desks:
        phones |= {x for x in (desk.phone, desk.fax) if x}
        emails |= {desk.email} if desk.email else set()
    for place in program.places:
        for contact in place.contacts:
            phones |= {x for x in (contact.phone, contact.fax) if x}
    return {"phones": phones, "emails": emails}


def contacts_in_guide(section_text: str) -> Dict[str, Set[str]]:
    return {"phones": set(PHONE.findall(section_text)),
            "emails": {e.replace("\\_", "_") for e in EMAIL.findall(section_text)}}


def test_every_numbered_section_of_the_guide_is_one_program_file(sections):
    assert sorted(sections) == [entry.section for entry in catalog.programs()]


@pytest.mark.parametrize("section", [entry.section for entry in catalog.programs()])
def test_every_phone_fax_and_email_matches_the_guide(section, sections, programs):
    assert contacts_in_data(programs[section]) == contacts_in_guide(sections[section])


def test_every_program_has_a_reachable_main_desk(programs):
    for program in programs.values():
        desk = program.desks[0]
        assert desk.phone, f"§{program.section} main desk has no phone"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _percent(value) -> str:
    return f"{value}%"


def test_innovation_rules_appear_in_the_guide(sections, programs):
    guide = _squash(sections[5])
    rules = programs[5].rules
    for rule in rules:
        if rule.kind == "employee_limit":
            assert f"{rule.industry}従業員{rule.max_employees}人以下" in guide
        elif rule.kind in ("value_added_growth", "payroll_growth"):
            assert f"{rule.plan_years}年間の計画の場合{_percent(rule.min_growth_percent)}以上" in guide
        elif rule.kind == "plan_period":
            assert f"{rule.min_years}年から{rule.max_years}年間" in guide
            assert f"最大{rule.max_years_with_rnd}年間" in guide
    # and the other way: every threshold of the guide is in the data
    percents_in_guide = set(re.findall(r"の計画の場合(\d+(?:\.\d+)?)%以上", guide))
    percents_in_data = {str(r.min_growth_percent) for r in rules if r.kind.endswith("_growth")}
    assert percents_in_guide == percents_in_data
    limits_in_guide = set(re.findall(r"○(\S+?)従業員(\d+)人以下", guide))
    limits_in_data = {(r.industry, str(r.max_employees)) for r in rules if r.kind == "employee_limit"}
    assert limits_in_guide == limits_in_data


def _man_yen(yen: int) -> str:
    return f"{yen // 10000}万円"


def test_cost_share_shares_and_caps_appear_in_the_guide(sections, programs):
    for section in (19, 22):
        guide = _squash(sections[section])
        caps_in_data = set()
        for rule in programs[section].rules:
            if rule.kind != "cost_share":
                continue
            numerator, denominator = rule.share.split("/")
            assert rule.share in guide or f"{denominator}分の{numerator}" in guide
            if rule.self_share:
                assert rule.self_share in guide
            for cap in rule.caps:
                assert _man_yen(cap.cap_yen) in guide
                caps_in_data.add(_man_yen(cap.cap_yen))
            if rule.total_cap_yen:
                assert f"総額{_man_yen(rule.total_cap_yen)}を上限" in guide
                caps_in_data.add(_man_yen(rule.total_cap_yen))
            assert _squash(rule.text)[:20] in guide
        assert set(re.findall(r"\d+万円", guide)) == caps_in_data


def test_visit_limits_appear_in_the_guide(sections, programs):
    found = 0
    for section, program in programs.items():
        for rule in program.rules:
            if rule.kind == "visit_limit":
                found += 1
                guide = _squash(sections[section])
                assert f"{rule.max_visits}回" in guide
                assert _squash(rule.text) in guide
                if rule.cumulative_since:
                    assert f"{rule.cumulative_since}から通算" in guide
    assert found == 3  # §2, §4, §19
