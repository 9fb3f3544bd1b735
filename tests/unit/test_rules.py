"""Rule evaluators with the guide's edge values."""
from __future__ import annotations

import pytest

from knowledge import rules


@pytest.mark.parametrize("industry, employees, eligible", [
    ("小売業", 300, True), ("小売業", 301, False), ("小売", 299, True),
    ("製造業", 500, True), ("製造業", 501, False), ("卸売業", 400, True), ("卸売業", 450, False),
    ("サービス業", 300, True), ("サービス業", 301, False),
])
def test_innovation_employee_limits(db, industry, employees, eligible):
    assert rules.innovation_eligibility(db, industry, employees).eligible is eligible


def test_innovation_reason_explains_the_limit(db):
    result = rules.innovation_eligibility(db, "卸売業", 450)
    assert (result.industry, result.max_employees, result.employees) == ("卸売業", 400, 450)
    assert rules.innovation_eligibility(db, "小売業", 300).max_employees == 300
    with pytest.raises(rules.RuleNotFound):
        rules.innovation_eligibility(db, "農業", 10)


@pytest.mark.parametrize("years, value_added, payroll", [(3, 9, 4.5), (4, 12, 6.0), (5, 15, 7.5)])
def test_growth_requirements(db, years, value_added, payroll):
    requirement = rules.growth_requirement(db, years)
    assert (requirement.value_added_percent, requirement.payroll_percent) == (value_added, payroll)


def test_growth_edges(db):
    with pytest.raises(rules.RuleNotFound):
        rules.growth_requirement(db, 6)
    period = rules.plan_period(db)
    assert (period.min_years, period.max_years, period.max_years_with_rnd) == (3, 5, 8)
    assert [g.plan_years for g in rules.growth_table(db)] == [3, 4, 5]


def test_expert_dispatch_self_pay_is_one_third(db):
    result = rules.cost_share(db, 19, 300_000)
    assert (result.subsidy_yen, result.self_pay_yen, result.capped) == (200_000, 100_000, False)
    assert rules.cost_share(db, 19, 100_000).self_pay_yen == 33_334  # the center pays floor(2/3)


def test_revitalization_caps_per_frame(db):
    normal = rules.cost_share(db, 22, 4_500_000, frame="通常枠", item="計画策定支援")
    assert (normal.subsidy_yen, normal.self_pay_yen, normal.capped) == (2_000_000, 2_500_000, True)
    below = rules.cost_share(db, 22, 3_000_000, frame="通常", item="計画策定支援")
    assert (below.subsidy_yen, below.capped) == (2_000_000, False)
    gl = rules.cost_share(db, 22, 3_000_000, frame="GL枠", item="デューデリジェンス")
    assert (gl.subsidy_yen, gl.capped) == (2_000_000, False)
    early = rules.cost_share(db, 22, 600_000, frame="早期経営改善")
    assert (early.subsidy_yen, early.self_pay_yen, early.cap_yen) == (250_000, 350_000, 250_000)
    early_small = rules.cost_share(db, 22, 300_000, frame="早期経営改善")
    assert (early_small.subsidy_yen, early_small.capped) == (200_000, False)
    with pytest.raises(rules.RuleNotFound):
        rules.cost_share(db, 22, 100_000)  # several frames: the caller must say which
    with pytest.raises(rules.RuleNotFound):
        rules.cost_share(db, 22, 100_000, frame="特別枠")


def test_visit_limits(db):
    hr = rules.visit_limit(db, 2)
    assert (hr.max_visits, hr.cumulative_since, hr.free) == (2, "令和2年度", True)
    assert (rules.visit_limit(db, 4).max_visits, rules.visit_limit(db, 4).free) == (3, True)
    assert (rules.visit_limit(db, 19).max_visits, rules.visit_limit(db, 19).typical) == (5, True)
    assert rules.visit_limit(db, 21) is None
