"""The shape of the guide's YAML files, checked before anything touches the database.

Pydantic models with ``extra="forbid"``: a typo in a key is as wrong as a missing one, and the
error's location (``desks.0.phone``) lets the loader name the exact field that is wrong.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated, List, Literal, Optional, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

PHONE_PATTERN = r"^0\d{1,4}-\d{1,4}-\d{3,4}$"
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Strict(BaseModel):
    """Every model: unknown keys are errors, no silent type coercion of str/int."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Hours(Strict):
    text: str
    days: Optional[List[DayName]]
    open: str = Field(pattern=r"^\d{2}:\d{2}$")
    close: str = Field(pattern=r"^\d{2}:\d{2}$")
    closed_on_holidays: bool
    closed_year_end: bool
    other_closures: List[str]


class Desk(Strict):
    role: str
    name: str
    organization: str
    department: Optional[str]
    group: Optional[str]
    phone: Optional[str] = Field(pattern=PHONE_PATTERN)
    phone_note: Optional[str]
    fax: Optional[str] = Field(pattern=PHONE_PATTERN)
    email: Optional[str] = Field(pattern=r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
    address: Optional[str]
    location: Optional[str]
    city: Optional[str]
    hours: Optional[Hours]
    reservation: Optional[bool]
    aliases: List[str] = []  # other names of this desk (short forms, its building): they name it anywhere
    serves: List[str] = []   # sub-services it handles (計画策定支援, 無料相談会): they choose it within its program


class Contact(Strict):
    name: str
    phone: Optional[str] = Field(pattern=PHONE_PATTERN)
    extension: Optional[str]
    fax: Optional[str] = Field(pattern=PHONE_PATTERN)


class Place(Strict):
    kind: str
    name: str
    city: Optional[str]
    address: Optional[str]
    hours: Optional[Hours]
    reservation: Optional[bool]
    contacts: List[Contact]
    aliases: List[str] = []  # other names of this place (とわふる, 8サポ): they name it anywhere
    serves: List[str] = []   # what is held there (出張相談): chooses it within its program


class Offer(Strict):
    name: str
    description: Optional[str]


class Eligibility(Strict):
    target: Optional[str]
    conditions: List[str]


class Cost(Strict):
    text: Optional[str]
    free: Optional[bool]


class Limits(Strict):
    text: Optional[str]


def _check_fraction(value: Optional[str]) -> Optional[str]:
    if value is not None and not re.fullmatch(r"\d+/\d+", value):
        raise ValueError("must be a fraction like '2/3'")
    if value is not None and not 0 < Fraction(value) <= 1:
        raise ValueError("must be a share between 0 and 1")
    return value


class EmployeeLimitRule(Strict):
    kind: Literal["employee_limit"]
    industry: str
    max_employees: int = Field(gt=0)


class GrowthRule(Strict):
    kind: Literal["value_added_growth", "payroll_growth"]
    plan_years: int = Field(gt=0)
    min_growth_percent: Union[int, float]


class PlanPeriodRule(Strict):
    kind: Literal["plan_period"]
    min_years: int
    max_years: int
    max_years_with_rnd: int


class Cap(Strict):
    item: str
    cap_yen: int = Field(gt=0)
    additional: bool


class CostShareRule(Strict):
    kind: Literal["cost_share"]
    frame: Optional[str]
    plan: Optional[str]
    share: str
    self_share: Optional[str]
    caps: List[Cap]
    total_cap_yen: Optional[int]
    text: str

    _share = field_validator("share", "self_share")(_check_fraction)


class SumFormulaRule(Strict):
    """§5: a total the guide defines as a sum (付加価値額＝営業利益＋人件費＋減価償却費), optionally per employee."""
    kind: Literal["sum_formula"]
    total: str
    terms: List[str] = Field(min_length=2)
    excluded: List[str]
    per_employee: Optional[str]
    text: str


class VisitLimitRule(Strict):
    kind: Literal["visit_limit"]
    max_visits: int = Field(gt=0)
    typical: bool
    cumulative_since: Optional[str]
    free: Optional[bool]
    text: str


# Discriminated by `kind`: a bad rule gets one error naming its own fields, not one per rule type.
Rule = Annotated[
    Union[EmployeeLimitRule, GrowthRule, PlanPeriodRule, CostShareRule, VisitLimitRule, SumFormulaRule],
    Field(discriminator="kind"),
]


RULE_KINDS = frozenset(kind for model in (EmployeeLimitRule, GrowthRule, PlanPeriodRule, CostShareRule,
                                          VisitLimitRule, SumFormulaRule)
                        for kind in get_args(model.model_fields["kind"].annotation))


# The 経営革新 program's rules. One program carries them all (the loader checks): its rules are what make it the
# 経営革新 program (knowledge/query.py ``innovation_program``). The first four must be there: the answers need them.
INNOVATION_RULE_KINDS = ("employee_limit", "plan_period", "value_added_growth", "payroll_growth", "sum_formula")
REQUIRED_INNOVATION_RULE_KINDS = INNOVATION_RULE_KINDS[:4]


class Program(Strict):
    section: int = Field(ge=1)
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    situation: str
    name: str
    summary: str
    keywords: List[str]
    aliases: List[str]
    markets: List[str]
    offers: List[Offer]
    eligibility: Eligibility
    cost: Cost
    limits: Limits
    how_to_apply: Optional[str]
    period: Optional[str]
    notes: List[str]
    confidential: bool
    desks: List[Desk] = Field(min_length=1)
    places: List[Place]
    rules: List[Rule]


class Municipality(Strict):
    name: str
    aliases: List[str]


class Area(Strict):
    name: str
    reading: str
    municipalities: List[Municipality]


class MunicipalityMap(Strict):
    areas: List[Area] = Field(min_length=1)


class OutsidePrefecture(Strict):
    name: str
    names: List[str] = Field(min_length=1)  # how owners write it and its main cities


class Elsewhere(Strict):
    """``elsewhere.yml``: places outside the prefecture, whose businesses the guide's programs do not serve."""
    prefectures: List[OutsidePrefecture] = Field(min_length=1)


class Office(Strict):
    name: str
    words: List[str] = Field(min_length=1)


class Offices(Strict):
    """``offices.yml``: offices that handle what the assistant does not (names only)."""
    offices: List[Office] = Field(min_length=1)


def _regular_expressions(patterns: List[str]) -> List[str]:
    """A field of regular expressions: each must compile."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a regular expression: {pattern!r} ({error})") from error
    return patterns


class Distress(Strict):
    """``distress.yml``: how an owner says it hurts, and which of those words name money owed (regular
    expressions)."""
    hurts: List[str] = Field(min_length=1)
    debt: List[str] = Field(min_length=1)

    _compiles = field_validator("hurts", "debt")(_regular_expressions)


class Askers(Strict):
    """``askers.yml``: the words by which a worker, a student or a household speaks of their own situation, and the
    owner's words that win over them (regular expressions)."""
    not_owner: List[str] = Field(min_length=1)
    owner: List[str] = Field(min_length=1)

    _compiles = field_validator("not_owner", "owner")(_regular_expressions)


class Synonyms(Strict):
    groups: List[List[str]]


class YearEnd(Strict):
    start: str = Field(pattern=r"^\d{2}-\d{2}$")
    end: str = Field(pattern=r"^\d{2}-\d{2}$")


class Calendar(Strict):
    year_end: YearEnd
    staffed_hours: Hours  # when staff take conversations over (handover/hours.py), not a desk's


class QuestionField(Strict):
    name: str = Field(pattern=r"^[a-z_]+$")
    label: str
    words: List[str] = Field(min_length=1)
    followup_words: List[str] = []  # ask only about a program already under discussion


class Questions(Strict):
    fields: List[QuestionField] = Field(min_length=1)


class Candidates(Strict):
    """Situations the guide serves with several programs: their sections, in the order of the buttons."""
    market: List[int] = Field(min_length=2)  # 販路を広げたい
    expert: List[int] = Field(min_length=2)  # 専門家に来てほしい
    debt: List[int] = Field(min_length=2)  # 返済・資金繰りに行き詰まっている
    hardship: List[int] = Field(min_length=2)  # 経営が苦しい


class Roles(Strict):
    """``roles.yml``: which programs the assistant offers where, by section."""
    general_desk: int  # one section: offered when nothing fits
    moving_in: int  # one section: for someone moving to Aomori from elsewhere to start a business (UIJ)
    topics: List[int] = Field(min_length=1)  # buttons, in order
    candidates: Candidates
    # programs that serve people who are not owners (askers.yml): a job-seeker who wants construction work
    job_seekers: List[int] = Field(default_factory=list)
