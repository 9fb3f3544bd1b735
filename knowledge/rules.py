"""Evaluators for the guide's numeric rules; every threshold, share and cap is read from the rules table.

They answer the questions owners ask: 「小売業で300人だけど経営革新の対象？」「4年計画だと何%？」
「費用300万円だと自己負担は？」. Each result carries the numbers it used, so the caller can explain why.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Rule
from knowledge.text import normalize


class RuleNotFound(LookupError):
    """The guide has no rule for what was asked (an unknown industry, frame or plan length)."""


def _rules(db: Session, kind: str, section: Optional[int] = None) -> List[Rule]:
    """The rules of ``kind`` (of one program's, when ``section`` is given). The 経営革新 kinds (employee limits, plan
    period, growth, sums) need no section: one program carries them all (knowledge/loader.py checks).

    The guide has a score of rules, and a turn asks for them program by program (which programs share costs, which
    frame a message names): they are read once per session (one action run), not once per question."""
    every = db.info.get("knowledge_rules")
    if every is None:
        every = db.info["knowledge_rules"] = list(
            db.execute(select(Rule).order_by(Rule.program_section, Rule.rank)).scalars())
    return [rule for rule in every if rule.kind == kind and (section is None or rule.program_section == section)]


# ---- 経営革新 (§5): employee limits per industry -------------------------------------------------

@dataclass(frozen=True)
class EligibilityResult:
    industry: str
    employees: int
    max_employees: int

    @property
    def eligible(self) -> bool:
        return self.employees <= self.max_employees


def employee_limits(db: Session) -> List[Tuple[str, int]]:
    """(industry, max employees) in the guide's order."""
    return [(r.param("industry"), r.param("max_employees")) for r in _rules(db, "employee_limit")]


def _match_industry(rule_industry: str, said: str) -> bool:
    """「製造業等」 matches 「製造業」「製造」; 「小売業」 matches 「小売」「小売り」."""
    core = normalize(rule_industry).removesuffix("等").removesuffix("業")
    said = normalize(said).replace("り", "")
    return bool(core) and core.replace("り", "") in said


def innovation_eligibility(db: Session, industry: str, employees: int) -> EligibilityResult:
    for rule in _rules(db, "employee_limit"):
        if _match_industry(rule.param("industry"), industry):
            return EligibilityResult(rule.param("industry"), employees, rule.param("max_employees"))
    raise RuleNotFound(f"no employee limit for industry {industry!r}")


# ---- 経営革新 (§5): growth targets per plan length ------------------------------------------------

@dataclass(frozen=True)
class GrowthRequirement:
    plan_years: int
    value_added_percent: float
    payroll_percent: float


@dataclass(frozen=True)
class PlanPeriod:
    min_years: int
    max_years: int
    max_years_with_rnd: int


def plan_period(db: Session) -> PlanPeriod:
    rule = _rules(db, "plan_period")[0]
    return PlanPeriod(rule.param("min_years"), rule.param("max_years"), rule.param("max_years_with_rnd"))


def growth_requirement(db: Session, plan_years: int) -> GrowthRequirement:
    """Required growth by the plan's last year; the guide states it for 3, 4 and 5 years only."""
    def percent(kind: str) -> Optional[float]:
        for rule in _rules(db, kind):
            if rule.param("plan_years") == plan_years:
                return rule.param("min_growth_percent")
        return None

    value_added, payroll = percent("value_added_growth"), percent("payroll_growth")
    if value_added is None or payroll is None:
        raise RuleNotFound(f"the guide gives no growth target for a {plan_years}-year plan")
    return GrowthRequirement(plan_years, value_added, payroll)


def growth_table(db: Session) -> List[GrowthRequirement]:
    years = sorted({rule.param("plan_years") for rule in _rules(db, "value_added_growth")})
    return [growth_requirement(db, y) for y in years]


# ---- cost shares (§19 専門家派遣, §22 活性化協議会) -------------------------------------------------

@dataclass(frozen=True)
class CostShareResult:
    section: int
    frame: Optional[str]
    item: Optional[str]
    amount_yen: int
    share: Fraction
    subsidy_yen: int
    cap_yen: Optional[int]
    capped: bool
    rule_text: str

    @property
    def self_pay_yen(self) -> int:
        return self.amount_yen - self.subsidy_yen


def cost_share_frames(db: Session, section: int) -> List[Rule]:
    return _rules(db, "cost_share", section)


def _frame_rule(db: Session, section: int, frame: Optional[str]) -> Rule:
    rules = cost_share_frames(db, section)
    if not rules:
        raise RuleNotFound(f"§{section} has no cost-share rule")
    if frame is None:
        if len(rules) == 1:
            return rules[0]
        raise RuleNotFound(f"§{section} has several frames; name one of {[r.param('frame') for r in rules]}")
    wanted = normalize(frame)
    for rule in rules:
        name = normalize(rule.param("frame") or "")
        if name and (name in wanted or name.removesuffix("枠") in wanted):
            return rule
    raise RuleNotFound(f"§{section} has no frame {frame!r}")


def _cap_for(rule: Rule, item: Optional[str]) -> Optional[int]:
    """The item's own cap; else the frame's total cap (早期経営改善: 総額25万円); else no cap known."""
    if item is not None:
        wanted = normalize(item)
        for cap in rule.param("caps", []):
            name = normalize(cap["item"])
            if name in wanted or wanted in name:
                return cap["cap_yen"]
    if rule.param("total_cap_yen") is not None:
        return rule.param("total_cap_yen")
    if item is not None and rule.param("caps"):
        raise RuleNotFound(f"frame {rule.param('frame')!r} has no cap for {item!r}")
    return None


def cost_share(db: Session, section: int, amount_yen: int, frame: Optional[str] = None,
               item: Optional[str] = None) -> CostShareResult:
    """The support body pays ``share`` of the cost, up to the cap of the item (or the frame's total)."""
    if amount_yen < 0:
        raise ValueError("amount must not be negative")
    rule = _frame_rule(db, section, frame)
    share = Fraction(rule.param("share"))
    cap = _cap_for(rule, item)
    uncapped = math.floor(amount_yen * share)
    subsidy = min(uncapped, cap) if cap is not None else uncapped
    return CostShareResult(section, rule.param("frame"), item, amount_yen, share, subsidy, cap,
                           capped=cap is not None and uncapped > cap, rule_text=rule.param("text"))


# ---- totals the guide defines as sums (§5: 付加価値額, 給与支給総額) -----------------------------------

@dataclass(frozen=True)
class SumFormula:
    total: str
    terms: Tuple[str, ...]
    excluded: Tuple[str, ...]
    per_employee: Optional[str]
    text: str

    def words(self) -> dict:
        """Each term, and each excluded item, as the user may write it: the term, or without its last 費
        (減価償却費 / 減価償却); a term ending in 手当 (各種手当) also takes any other 〜手当 the user names."""
        words = {term: [term, term.removesuffix("費")] + (["手当"] if term.endswith("手当") else [])
                 for term in self.terms}
        words.update({f"excluded:{item}": [item] for item in self.excluded})
        return words


@dataclass(frozen=True)
class SumResult:
    formula: SumFormula
    parts: Tuple[Tuple[str, int], ...]   # (term, yen) the user gave, in the formula's order
    left_out: Tuple[Tuple[str, int], ...]  # items the guide does not count, as given
    total_yen: int
    employees: Optional[int]

    @property
    def per_employee_yen(self) -> Optional[int]:
        """Per employee, when the user gave a head count and it divides exactly; None otherwise."""
        if not self.employees or self.formula.per_employee is None:
            return None
        return self.total_yen // self.employees if self.total_yen % self.employees == 0 else None


def sum_formulas(db: Session) -> List[SumFormula]:
    return [SumFormula(r.param("total"), tuple(r.param("terms")), tuple(r.param("excluded")),
                       r.param("per_employee"), r.param("text"))
            for r in _rules(db, "sum_formula")]


def sum_of(formula: SumFormula, given: dict, employees: Optional[int] = None) -> SumResult:
    """The total from the user's amounts: ``given`` maps a term (or 「excluded:<item>」) to yen."""
    parts = tuple((term, given[term]) for term in formula.terms if term in given)
    left_out = tuple((key.removeprefix("excluded:"), yen) for key, yen in given.items()
                     if key.startswith("excluded:"))
    return SumResult(formula, parts, left_out, sum(yen for _, yen in parts), employees)


def growth_target(base_yen: int, percent: float) -> int:
    """The least amount that grows ``percent`` % over ``base_yen`` (rounded up to the yen)."""
    return math.ceil(Fraction(base_yen) * (1 + Fraction(str(percent)) / 100))


def growth_percent(before_yen: int, after_yen: int) -> Fraction:
    return (Fraction(after_yen) / before_yen - 1) * 100


# ---- visit limits (§2, §4, §19) ---------------------------------------------------------------------

@dataclass(frozen=True)
class VisitLimit:
    section: int
    max_visits: int
    typical: bool
    cumulative_since: Optional[str]
    free: Optional[bool]
    text: str


def visit_limit(db: Session, section: int) -> Optional[VisitLimit]:
    rules = _rules(db, "visit_limit", section)
    if not rules:
        return None
    rule = rules[0]
    return VisitLimit(section, rule.param("max_visits"), rule.param("typical"), rule.param("cumulative_since"),
                      rule.param("free"), rule.param("text"))
