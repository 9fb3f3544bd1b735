"""Questions the guide answers with numbers: 経営革新 eligibility and growth targets, cost shares."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import parsing
from bot.actions.common import SLOT_PROGRAM, latest_intent, latest_text, render, store_session
from bot.actions.contract import programs_payload
from knowledge import query, rules
from knowledge.models import Program

INNOVATION_SECTION = rules.INNOVATION_SECTION
EXPERT_SECTION = 19        # 専門家派遣: the user pays 1/3
REVITALIZATION_SECTION = 22  # 活性化協議会: 2/3 up to per-frame caps
REVITALIZATION_WORDS = ("枠", "計画策定", "伴走", "デューデリ", "活性化", "再生", "経営改善", "金融機関")
ITEM_WORDS = ("計画策定", "伴走支援（決算期）", "伴走支援（期中）", "伴走", "デューデリジェンス", "金融機関交渉",
              "民間金融機関")


def yen(value: int) -> Text:
    """300万円 / 33,334円: how amounts are said in Japanese."""
    if value >= 10_000 and value % 10_000 == 0:
        return f"{value // 10_000:,}万円"
    return f"{value:,}円"


def innovation_answer(domain, db, text: Text) -> Text:
    industry = parsing.first_keyword(text, ["製造", "卸売", "小売", "小売り", "サービス"])
    count = parsing.employees(text)
    limits = "、".join(f"{industry}は従業員{count}人以下" for industry, count in rules.employee_limits(db))
    if industry is None or count is None:
        return render(domain, "utter_rule_need_industry", limits=limits)
    try:
        result = rules.innovation_eligibility(db, industry, count)
    except rules.RuleNotFound:
        return render(domain, "utter_rule_need_industry", limits=limits)
    return render(domain, "utter_rule_eligibility", reason=result.reason)


def growth_answer(domain, db, text: Text) -> Text:
    years = parsing.plan_years(text)
    if years is not None:
        try:
            need = rules.growth_requirement(db, years)
            return render(domain, "utter_rule_growth", years=years, value_added=need.value_added_percent,
                          payroll=need.payroll_percent)
        except rules.RuleNotFound:
            pass
    period = rules.plan_period(db)
    table = "\n".join(f"・{g.plan_years}年間の計画：付加価値額 {g.value_added_percent}%以上、給与支給総額 "
                      f"{g.payroll_percent}%以上" for g in rules.growth_table(db))
    return render(domain, "utter_rule_growth_table", table=table, min_years=period.min_years,
                  max_years=period.max_years, rnd_years=period.max_years_with_rnd)


def cost_share_section(tracker: Tracker, text: Text) -> int:
    current = tracker.get_slot(SLOT_PROGRAM)
    if current == str(REVITALIZATION_SECTION) or any(word in text for word in REVITALIZATION_WORDS):
        return REVITALIZATION_SECTION
    return EXPERT_SECTION


def cost_share_answer(domain, db, program: Program, text: Text) -> Text:
    amount = parsing.amount_yen(text)
    frames = rules.cost_share_frames(db, program.section)
    frame = parsing.first_keyword(text, [r.param("frame") for r in frames if r.param("frame")] + ["通常", "GL", "早期"])
    if len(frames) > 1 and frame is None:
        names = "、".join(f"【{r.param('frame')}】" for r in frames)
        return render(domain, "utter_rule_need_frame", name=program.name, frames=names)
    if amount is None:
        return render(domain, "utter_rule_need_amount", rule_text=frames[0].param("text") if len(frames) == 1 else "")
    item = parsing.first_keyword(text, ITEM_WORDS)
    try:
        result = rules.cost_share(db, program.section, amount, frame=frame, item=item)
    except rules.RuleNotFound:
        return render(domain, "utter_rule_unknown", phone=program.main_desk.phone)
    share = f"{result.share.denominator}分の{result.share.numerator}"
    cap_note = render(domain, "utter_rule_cap_note", cap=yen(result.cap_yen)) if result.capped else ""
    label = f"{result.frame}・{share}" if result.frame else share
    return render(domain, "utter_rule_cost_share", name=program.name, amount=yen(amount), share_label=label,
                  subsidy=yen(result.subsidy_yen), self_pay=yen(result.self_pay_yen), cap_note=cap_note)


class ActionAnswerRule(Action):
    def name(self) -> Text:
        return "action_answer_rule"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent, text = latest_intent(tracker), latest_text(tracker)
        with store_session() as db:
            if intent == "ask_cost_share":
                program = query.program(db, cost_share_section(tracker, text))
                answer = cost_share_answer(domain, db, program, text)
            else:
                program = query.program(db, INNOVATION_SECTION)
                answer = (innovation_answer if intent == "ask_innovation_eligibility" else growth_answer)(domain, db, text)
            dispatcher.utter_message(text=answer, json_message=programs_payload([program]))
            return [SlotSet(SLOT_PROGRAM, str(program.section))]
