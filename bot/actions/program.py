"""Recommend the program that fits the user's situation, or ask which one when several fit."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import focus, parsing, understanding
from bot.actions.common import SLOT_PROGRAM, latest_text
from bot.actions.contract import program_buttons, programs_payload
from knowledge import answers, distress, facts, passages, query
from knowledge.models import Program

# The word that makes a "several programs fit" question one about the program under discussion, if its
# own record uses it (§21 works with 専門家; §17 is about 販路).
NEED_WORDS = {"need_market_expansion": "販路", "need_expert_dispatch": "専門家"}
# 「21番」: one or two digits, not the end of a longer number, at most a few spaces before 番 (linear in the text).
TYPED_SECTION = re.compile(r"(?<![0-9])([0-9]{1,2})\s{0,3}番")


def spot_lines(spot: answers.Spot) -> Text:
    """The chosen record's address (or where it is) and contacts, one labelled line each."""
    place = answers.fact_lines_of(spot, ["address"])
    return "\n".join([*(f"場所：{line}" for line in place), *answers.contact_summary(spot)])


# A message that asks something (so a sentence of the guide may answer it), not only describes a situation.
QUESTION = re.compile(r"[?？]|ますか|ですか|でしょう|かな|っけ|(?:の|か|る)\s*$")
# A request for a fact (「電話番号を教えて」, or a line ending in the fact: 「…8サポの電話番号」); a fact's word
# inside a long message may only describe the situation (「英語でメールが来た」).
REQUEST = re.compile(r"教えて|知りたい|ください|下さい|ほしい|欲しい|何番|どこ"
                     r"|(?:番号|アドレス|住所|場所|所在地|fax|ファックス|ファクス|メール|tel|電話|時間|費用|内線)"
                     r"\s*[はをもって]*\s*[。.!！]*\s*$", re.IGNORECASE)
# A staff-style line (「八戸 創業 TEL」) is this short: its fact words are the question.
TERSE = 25
def say_kind_words(dispatcher: CollectingDispatcher, tracker: Tracker, db) -> None:
    """One kind sentence first, when the user's own words say it hurts (not for a button or a follow-up)."""
    if tracker.get_slot(SLOT_PROGRAM) is None and distress.hurts(db, latest_text(tracker)):
        dispatcher.utter_message(response="utter_distress")


def recommend(dispatcher: CollectingDispatcher, tracker: Tracker, db, program: Program) -> List[Dict[Text, Any]]:
    """The recommendation: what it is and its desk. When the conversation points to a local desk or room (the
    user's town) or a sub-service, that one leads as 【窓口】 and the program's main desk follows, labelled."""
    say_kind_words(dispatcher, tracker, db)
    spot, events = focus.spot_in_focus(db, tracker, program)
    desk = program.main_desk
    payload = programs_payload([program], spot)
    if spot.is_main or set(answers.contact_summary(spot)) <= set(facts.desk_lines(desk)):
        # the main desk, or a place that is the main desk's own office (§13's 食品産業振興グループ)
        dispatcher.utter_message(response="utter_recommend", name=program.name, section=program.section,
                                 summary=program.summary, desk=desk.name, contacts=facts.contacts(desk),
                                 json_message=payload)
    else:
        dispatcher.utter_message(response="utter_recommend_local", name=program.name, section=program.section,
                                 summary=program.summary, desk=spot.name, contacts=spot_lines(spot),
                                 main_desk=desk.name, main_contacts=facts.contacts(desk), json_message=payload)
    text = latest_text(tracker)
    if not text.startswith("/") and QUESTION.search(text):
        # 「省エネ診断で来る専門家ってどういう人？」: the guide's sentence that answers the question, after the desk
        quote = passages.best_quote(db, program.section, text, known=passages.identity(program))
        if quote is not None and quote.text not in program.summary:
            dispatcher.utter_message(response="utter_recommend_quote", section=program.section, quote=quote.text)
    return [SlotSet(SLOT_PROGRAM, str(program.section)), *events]


def ask_which(dispatcher: CollectingDispatcher, candidates: List[Program]) -> None:
    """「ご相談に合いそうな支援が複数あります」: the "which one?" contract, candidates in button order."""
    dispatcher.utter_message(response="utter_which_program", buttons=program_buttons(candidates),
                             json_message=programs_payload(candidates))


def named_program(db, tracker: Tracker) -> Optional[Program]:
    """A program the message names by one of its desks or places (「食品産業振興グループ TEL」: the desk decides,
    whatever the NLU leans to), else by its own name or alias when the NLU also finds it likely (among its top
    three programs: 「建設業の就職相談窓口というのがあるなら」 names §15; the NLU leans to §2 first, §15 second)."""
    text = latest_text(tracker)
    by_desk = query.programs_named_in(db, text, venues_only=True)
    if by_desk:
        return by_desk[0][0]
    likely = understanding.program_ranking(tracker.latest_message)
    named = [p for p, _ in query.programs_named_in(db, text) if p.slug in likely]
    return named[0] if named else None


def typed_section(text: Text) -> Optional[str]:
    """「21番の支援」「Ⅲの16番」: a section number typed by call-center staff (「123番」 is none)."""
    match = TYPED_SECTION.search(parsing.bounded(text))
    return match.group(1) if match else None
