"""Questions the guide answers with numbers: 経営革新 eligibility and growth targets, cost shares.

Which program a question is about is decided by :mod:`bot.actions.focus`, as for every follow-up:
「自己負担はいくら？」 while §6 is under discussion is a question about §6's cost, not §19's share.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import parsing
from bot.actions.common import SLOT_PROGRAM, asked, latest_text
from bot.actions.contract import programs_payload
from knowledge import facts, query, rules
from knowledge.models import Program
from knowledge.tokens import morphemes

# Words that make an amount a cost to share (「費用300万円だと自己負担は？」), not a figure of the business.
COST_WORDS = ("費用", "負担", "経費", "謝金", "旅費", "支払", "支援額", "補助", "いくら出")
# Words that ask a cap or a share of a frame or item named (「GL枠の上限は？」「伴走支援はいくらまで？」).
CAP_WORDS = ("上限", "いくらまで", "まで見て", "まで出", "比率", "割合", "何分の", "費用", "いくら", "上乗せ", "加算")
# Words that ask the growth a plan needs (「付加価値額はどのくらい伸ばす？」「何%？」).
GROWTH_WORDS = ("伸び", "伸ば", "%", "パーセント", "基準", "最低いくら", "いくら以上", "いくらに")
# The guide's proviso inside a cap sentence: 「上限：上記費用の3分の2（但し、…）」.
PROVISO = re.compile(r"（但し、(.+)）\s*$")
# Words that ask for an amount or a rate (「どのくらい伸ばす？」): with them, a first message is a growth question.
HOW_MUCH = ("どのくらい", "どれくらい", "どれだけ", "何%", "何％", "何パーセント", "いくら")
# Words every cost rule uses: they do not tell which program's rule a question is about.
GENERIC_COST_TERMS = {"費用", "負担", "自己負担", "上限", "支援", "合計", "予定", "総額", "金額", "円", "万"}
# How many earlier messages a figure may be taken from.
MAX_TURNS_BACK = 4
# Items of §22's cost rules, as owners write them (longest first wins in first_keyword).
ITEM_WORDS = ("計画策定", "伴走支援（決算期）", "伴走支援（期中）", "伴走", "デューデリジェンス", "金融機関交渉",
              "金融機関と交渉", "経営者保証", "民間金融機関")


def yen(value: int) -> Text:
    """300万円 / 33,334円: how amounts are written in Japanese."""
    if value >= 10_000 and value % 10_000 == 0:
        return f"{value // 10_000:,}万円"
    return f"{value:,}円"


def percents(values: List[float]) -> List[Text]:
    """The guide writes a family of rates alike (4.5%, 6.0%, 7.5%): one decimal for all when any needs it."""
    decimals = 1 if any(v != int(v) for v in values) else 0
    return [f"{v:.{decimals}f}" for v in values]


def frame_lines(rule) -> Text:
    """One cost-share frame as labelled lines, from the rule's own figures (the guide's sentence for a
    frame speaks of 「上記費用」, a table the reply does not show); a rule without frames is the guide's
    own sentence (§19: 「…1/3の自己負担が必要です。」)."""
    if not rule.param("frame"):
        return f"費用負担：{rule.param('text')}"
    share = Fraction(rule.param("share"))
    caps = [f"{cap['item']} {yen(cap['cap_yen'])}" + ("（加算）" if cap.get("additional") else "")
            for cap in rule.param("caps", [])]
    if rule.param("total_cap_yen"):
        caps.insert(0, f"総額 {yen(rule.param('total_cap_yen'))}")
    lines = [f"【{rule.param('frame')}】{rule.param('plan') or ''}",
             f"・支援の割合：費用の{share.denominator}分の{share.numerator}"]
    if caps:
        lines.append(f"・上限：{'、'.join(caps)}")
    if PROVISO.search(rule.param("text")):  # the guide's conditions (3:1), without 「上記費用」 pointing to a table
        lines.append(f"・ガイドの但し書き：{proviso_of(rule)}")
    return "\n".join(lines)


def limits_lines(db) -> Text:
    return facts.bullet_lines(f"{industry} 従業員{count}人以下" for industry, count in rules.employee_limits(db))


def say_innovation_eligibility(dispatcher: CollectingDispatcher, db, program: Program, text: Text) -> None:
    """Whether the user's company size fits 経営革新; every figure from the rules table."""
    count = parsing.employees(text)
    limits = rules.employee_limits(db)
    desk = program.main_desk
    common = dict(section=program.section, limits=limits_lines(db), json_message=programs_payload([program]),
                  phone=facts.desk_phone(desk))
    if count is None:
        dispatcher.utter_message(response="utter_innovation_limits", **common)
        return
    industry = parsing.first_keyword(text, ["製造", "卸売", "小売", "小売り", "サービス"])
    result = None
    if industry is not None:
        try:
            result = rules.innovation_eligibility(db, industry, count)
        except rules.RuleNotFound:
            result = None
    smallest, largest = min(c for _, c in limits), max(c for _, c in limits)
    if result is not None:
        response = "utter_innovation_eligible" if result.eligible else "utter_innovation_not_eligible"
        dispatcher.utter_message(response=response, industry=result.industry, max_employees=result.max_employees,
                                 employees=count, **common)
    elif count <= smallest:
        dispatcher.utter_message(response="utter_innovation_eligible_any", employees=count, smallest=smallest,
                                 **common)
    elif count > largest:
        dispatcher.utter_message(response="utter_innovation_not_eligible_any", employees=count, largest=largest,
                                 **common)
    elif parsing.industry_word(text):
        dispatcher.utter_message(response="utter_innovation_industry_unlisted", employees=count,
                                 industry=parsing.industry_word(text), **common)
    else:
        dispatcher.utter_message(response="utter_innovation_depends", employees=count, **common)


def say_growth(dispatcher: CollectingDispatcher, db, program: Program, text: Text,
               years_before: Optional[int] = None) -> None:
    """The growth the plan needs: for the plan length said now (or before, ``years_before``), else the table."""
    years = parsing.plan_years(text) or years_before
    payload = programs_payload([program])
    table = rules.growth_table(db)
    value_added = dict(zip(table, percents([g.value_added_percent for g in table])))
    payroll = dict(zip(table, percents([g.payroll_percent for g in table])))
    if years is not None:
        need = next((g for g in table if g.plan_years == years), None)
        if need is not None:
            dispatcher.utter_message(response="utter_growth_years", section=program.section, years=years,
                                     value_added=value_added[need], payroll=payroll[need], json_message=payload)
            return
    period = rules.plan_period(db)
    lines = facts.bullet_lines(f"{g.plan_years}年間の計画：付加価値額 {value_added[g]}%以上、給与支給総額 "
                               f"{payroll[g]}%以上" for g in table)
    dispatcher.utter_message(response="utter_growth_table", section=program.section, table=lines,
                             min_years=period.min_years, max_years=period.max_years,
                             rnd_years=period.max_years_with_rnd, json_message=payload)


def say_cost_share(dispatcher: CollectingDispatcher, db, program: Program, text: Text) -> None:
    frames = rules.cost_share_frames(db, program.section)
    payload = programs_payload([program])
    desk = program.main_desk
    phone = facts.desk_phone(desk)
    frame = parsing.first_keyword(text, [r.param("frame") for r in frames if r.param("frame")] + ["通常", "GL", "早期"])
    if len(frames) > 1 and frame is None:
        dispatcher.utter_message(response="utter_cost_share_frames", name=program.name, section=program.section,
                                 frames="\n".join(frame_lines(r) for r in frames), json_message=payload)
        return
    chosen = [r for r in frames if frame is None or frame in (r.param("frame") or "")] or frames[:1]
    if say_item_costs(dispatcher, db, program, chosen[0], text):
        return
    notes = frame_notes(program, chosen[0]) if len(chosen) == 1 and chosen[0].param("frame") else []
    amount, basis = given_cost(text)
    if amount is None:
        dispatcher.utter_message(response="utter_cost_share_rule", name=program.name, section=program.section,
                                 rule="\n".join([*(frame_lines(r) for r in chosen), *notes]),
                                 json_message=payload)
        return
    try:
        item = parsing.first_keyword(text, ITEM_WORDS)
        result = rules.cost_share(db, program.section, amount, frame=frame, item=item)
    except rules.RuleNotFound:
        dispatcher.utter_message(response="utter_cost_share_unknown", name=program.name, phone=phone,
                                 json_message=payload)
        return
    values = dict(name=program.name, section=program.section, amount=yen(amount) + basis,
                  share=f"{result.share.denominator}分の{result.share.numerator}", subsidy=yen(result.subsidy_yen),
                  self_pay=yen(result.self_pay_yen), json_message=payload)
    if result.capped and result.cap_yen is not None:
        dispatcher.utter_message(response="utter_cost_share_capped", cap=yen(result.cap_yen), **values)
    else:
        dispatcher.utter_message(response="utter_cost_share_result", **values)


def item_words(rule) -> Dict[Text, List[Text]]:
    """Each item of a frame (its caps, and 計画策定 which the share covers without a cap of its own in some
    frames), as owners write it: the item, without 支援 (「伴走支援（決算期）」→「伴走（決算期）」)."""
    items = [cap["item"] for cap in rule.param("caps", [])]
    if not any(item.startswith("計画策定") for item in items):
        items.insert(0, "計画策定支援")
    return {item: list(dict.fromkeys([item, item.replace("支援", ""), item.replace("支援（", "（")]))
            for item in items}


def frame_notes(program: Program, rule) -> List[Text]:
    """The guide's notes on one frame (what it pays for, the planned total as the ceiling), verbatim."""
    name = rule.param("frame").removesuffix("枠")
    return [f"・ガイドの記載：{note.lstrip('※')}" for note in program.notes if name in note]


def proviso_of(rule) -> Text:
    proviso = PROVISO.search(rule.param("text"))
    return proviso.group(1) if proviso else rule.param("text")


def say_item_costs(dispatcher: CollectingDispatcher, db, program: Program, rule, text: Text) -> bool:
    """Several items with their own amounts (「計画策定9万円、決算期の伴走支援3万円」): each item's share up to its
    cap, added up, then the frame's total cap. False unless two or more items have amounts."""
    words = item_words(rule)
    words = {item: [*forms, *([f"決算期の{forms[0][:2]}", "決算期"] if "決算期" in item else []),
                    *(["期中"] if "期中" in item else [])] for item, forms in words.items()}
    given = parsing.labelled_amounts(text, words)
    if len(given) < 2:
        return False
    lines, subsidy = [], 0
    for item, amount in given.items():
        result = rules.cost_share(db, program.section, amount, frame=rule.param("frame"), item=item)
        subsidy += result.subsidy_yen
        cap = f"（上限{yen(result.cap_yen)}）" if result.capped and result.cap_yen is not None else ""
        lines.append(f"・{item}：{yen(amount)} × {result.share.numerator}/{result.share.denominator} ＝ "
                     f"{yen(result.subsidy_yen)}{cap}")
    total_cap = rule.param("total_cap_yen")
    if total_cap is not None and subsidy > total_cap:
        lines.append(f"・総額の上限{yen(total_cap)}まで")
        subsidy = total_cap
    spent = sum(given.values())
    dispatcher.utter_message(response="utter_cost_share_items", name=program.name, section=program.section,
                             frame=rule.param("frame"), lines="\n".join(lines), subsidy=yen(subsidy),
                             self_pay=yen(spent - subsidy), rule=proviso_of(rule),
                             json_message=programs_payload([program]))
    return True


def given_cost(text: Text):
    """The cost the user gives, and how it was added up: several amounts add up (謝金 and 旅費), times the visits
    when they are per visit (「1回36,000円×3回」). (None, "") when no amount is written."""
    amounts = [value for _, value in parsing.amounts_yen(text)]
    if not amounts:
        return None, ""
    if len(amounts) == 2 and "予定" in text and ("実際" in text or "かかった" in text):
        # §22: 「費用総額（予定）を上限とし、費用総額（予定）を超えた費用については、費用支払の対象とはしない」
        return min(amounts), f"（申請時の予定額{yen(amounts[0])}が上限のため）"
    visits = parsing.visits(text) if parsing.per_visit(text) else None
    once = sum(amounts)
    if visits:
        return once * visits, f"（1回{yen(once)}×{visits}回）"
    return once, (f"（{'＋'.join(yen(a) for a in amounts)}）" if len(amounts) > 1 else "")


def earlier_texts(tracker: Tracker) -> List[Text]:
    """The user's messages of this conversation, latest first (what a figure said before may complete this one)."""
    return [e.get("text") or "" for e in reversed(tracker.events) if e.get("event") == "user"]


def plan_years_said(tracker: Tracker) -> Optional[int]:
    """The plan length said in this message, else the latest said before."""
    return next((years for text in [latest_text(tracker), *earlier_texts(tracker)]
                 if (years := parsing.plan_years(text))), None)


def percent_text(value) -> Text:
    value = float(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def head_count(text: Text) -> Optional[int]:
    """Employees, not the 「1人当たり」 of 「1人当たりの付加価値額」."""
    return parsing.employees(re.sub(r"(?:1|１|一)\s?人\s?(?:当たり|あたり)", "", text))


def say_sum(dispatcher: CollectingDispatcher, db, program: Program, formula, given, tracker: Tracker,
            said: Text) -> None:
    """The guide's sum formula (付加価値額＝営業利益＋人件費＋減価償却費) with the user's amounts (from ``said``),
    the per-employee figure when a head count is given, and the growth target when a plan length is known."""
    result = rules.sum_of(formula, given, head_count(said) or head_count(latest_text(tracker)))
    lines = [f"{formula.total} ＝ " + " ＋ ".join(f"{term} {yen(value)}" for term, value in result.parts)
             + f" ＝ {yen(result.total_yen)}"]
    if result.left_out:
        lines.append("（" + "・".join(item for item, _ in result.left_out) + "は含みません）")
    if result.per_employee_yen is not None:
        lines.append(f"{formula.per_employee} ＝ {yen(result.total_yen)} ÷ {result.employees}人 ＝ "
                     f"{yen(result.per_employee_yen)}")
    years = plan_years_said(tracker)
    target = growth_of(db, formula.total, years)
    if target is not None:
        base = result.total_yen
        lines.append(f"{years}年間の計画では最終年度に{percent_text(target)}%以上の伸びが必要です："
                     f"{yen(base)} → {yen(rules.growth_target(base, target))}以上")
    dispatcher.utter_message(response="utter_sum_result", section=program.section, formula=formula.text,
                             calculation="\n".join(lines), phone=facts.desk_phone(program.main_desk),
                             json_message=programs_payload([program]))


def growth_of(db, measure: Text, years: Optional[int]) -> Optional[float]:
    """The growth the guide requires of ``measure`` (付加価値額 or 給与支給総額) over a plan of ``years``."""
    if years is None:
        return None
    try:
        need = rules.growth_requirement(db, years)
    except rules.RuleNotFound:
        return None
    return need.payroll_percent if "給与" in measure else need.value_added_percent


def say_growth_amounts(dispatcher: CollectingDispatcher, db, program: Program, tracker: Tracker) -> bool:
    """「今の付加価値額が5,000万円、3年計画で最終年度にいくら？」: the target from the user's base amount;
    「4000万から4400万にする計画は基準クリア？」: the user's growth against the guide's. False when the message
    gives no amount or no plan length is known."""
    text = latest_text(tracker)
    amounts = [value for _, value in parsing.amounts_yen(text)]
    years = plan_years_said(tracker)
    if not amounts or years is None:
        return False
    measure = "給与支給総額" if "給与" in text else "付加価値額"
    if "一人当たり" in text or "1人当たり" in text or "一人あたり" in text or "1人あたり" in text:
        measure = "一人当たりの付加価値額"
    need = growth_of(db, measure, years)
    if need is None:
        return False
    common = dict(section=program.section, years=years, measure=measure, percent=percent_text(need),
                  json_message=programs_payload([program]))
    if len(amounts) >= 2:
        growth = rules.growth_percent(amounts[0], amounts[1])
        dispatcher.utter_message(response="utter_growth_check", before=yen(amounts[0]), after=yen(amounts[1]),
                                 growth=percent_text(round(growth, 1)),
                                 verdict="満たしています" if growth >= need else "満たしていません", **common)
    else:
        dispatcher.utter_message(response="utter_growth_target", base=yen(amounts[0]),
                                 target=yen(rules.growth_target(amounts[0], need)), **common)
    return True


def answer_numbers(dispatcher: CollectingDispatcher, tracker: Tracker, db, program: Optional[Program],
                   first_message: bool = False) -> Optional[List[Dict[Text, Any]]]:
    """The user's own figures, computed by the guide's rule that takes them: §5's sums (two or more of their
    terms with amounts) and growth targets, or the cost share of ``program`` when the message speaks of a cost
    (「売上が1000万円落ちた」 is no cost to share). None when the message gives no figure a rule takes.
    ``first_message``: the message also describes the situation, so a plan length alone is no growth question
    (「3年で付加価値を伸ばす計画を作りたい」 asks for the desk)."""
    text = latest_text(tracker)
    innovation = query.innovation_program(db)
    on_innovation = program is not None and program.section == innovation.section
    asks_growth = bool(parsing.first_keyword(text, GROWTH_WORDS))
    for formula in rules.sum_formulas(db):
        # the amounts of this message; a question about the target may use those the user gave before
        earlier = earlier_texts(tracker) if (on_innovation and asks_growth) else [text]
        for said in earlier[:MAX_TURNS_BACK]:
            given = parsing.labelled_amounts(said, formula.words())
            if sum(not key.startswith("excluded:") for key in given) >= 2:
                say_sum(dispatcher, db, innovation, formula, given, tracker, said)
                return [SlotSet(SLOT_PROGRAM, str(innovation.section))]
    if (on_innovation or "付加価値" in text or "給与支給" in text) and say_growth_amounts(
            dispatcher, db, innovation, tracker):
        return [SlotSet(SLOT_PROGRAM, str(innovation.section)), *asked("growth")]
    if (not first_message or parsing.first_keyword(text, HOW_MUCH)) and (
            on_innovation or "付加価値" in text or "給与支給" in text) and asks_growth and plan_years_said(tracker):
        say_growth(dispatcher, db, innovation, text, plan_years_said(tracker))
        return [SlotSet(SLOT_PROGRAM, str(innovation.section)), *asked("growth")]
    program = program if program is not None and rules.cost_share_frames(db, program.section) else \
        program_of_frame(db, text)
    if program is None:
        return None
    named_frame = program_of_frame(db, text) is not None or parsing.first_keyword(text, ITEM_WORDS)
    if (parsing.amounts_yen(text) and parsing.first_keyword(text, COST_WORDS)) or (
            named_frame and parsing.first_keyword(text, CAP_WORDS)):
        say_cost_share(dispatcher, db, program, text)
        return [SlotSet(SLOT_PROGRAM, str(program.section)), *asked("cost_share")]
    return None


def program_of_frame(db, text: Text) -> Optional[Program]:
    """The program whose cost-share frame the message names (「通常枠」「GL枠」「早期経営改善」: §22)."""
    for program in cost_share_programs(db):
        names = [r.param("frame") for r in rules.cost_share_frames(db, program.section) if r.param("frame")]
        if parsing.first_keyword(text, names + [n.removesuffix("枠") + "枠" for n in names if len(n) > 2]):
            return program
    return None


def program_of_cost_words(db, text: Text) -> Optional[Program]:
    """The one program whose cost-share rule speaks of what the message names (「謝金と旅費」「経費」: §19)."""
    terms = {term for term, _ in morphemes(text)
             if len(term) >= 2 and not term.isdigit() and term not in GENERIC_COST_TERMS}
    texts = {p: " ".join(r.param("text") for r in rules.cost_share_frames(db, p.section))
             for p in cost_share_programs(db)}
    found = [p for p, said in texts.items() if any(term in said for term in terms)]
    return found[0] if len(found) == 1 else None


def cost_share_programs(db) -> List[Program]:
    return [p for p in query.all_programs(db) if rules.cost_share_frames(db, p.section)]
