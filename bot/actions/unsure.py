"""Answers when the assistant is not sure, or when nothing fits: ask, don't give up; be honest otherwise.

- Leaning to one or two programs: 「〜についてのご相談でしょうか？」 with them as cards and buttons,
  the way Rasa's two-stage fallback asks to confirm (the "which one?" contract).
- Half understood while a program is under discussion: answered in that program's context (a town
  named, a likely follow-up question, or that program's desk), never with another program's contact.
- Leaning to nothing in the guide (or out of scope): say so, name the general desk, recommend nothing.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import focus, understanding
from bot.actions.common import SLOT_PROGRAM, latest_intent, latest_text
from bot.actions.contract import HUMAN_BUTTON, program_button, program_buttons, programs_payload, with_human_button
from bot.actions.ellipsis import continue_previous
from bot.actions.followup import answer_free, answer_question
from bot.actions.intents import FIELD_OF_INTENT
from bot.actions.location import answer_location
from bot.actions.program import NEED_WORDS, say_kind_words
from bot.actions.rules import answer_numbers
from bot.actions.understanding import Reading
from bot.program_intents import intent_of_slug, is_program_intent, slug_of_intent
from knowledge import answers, askers, distress, facts, passages, query
from knowledge.elsewhere import Whereabouts
from knowledge.locations import find_location
from knowledge.models import Program
from knowledge.offices import office_for

# Unsure readings that are not answered in the context of the program under discussion.
NEVER_IN_FOCUS = frozenset({"out_of_scope"})
BAD_INPUT_RESPONSES = {"empty": "utter_bad_input_empty", "too_long": "utter_bad_input_too_long",
                       "no_text": "utter_bad_input_no_text", "non_japanese": "utter_bad_input_non_japanese"}


def offer_topics(dispatcher: CollectingDispatcher, db, response: Text, person: bool = False) -> None:
    """Say honestly that nothing fits, name the general desk with its phone, offer topic buttons (and a person's,
    when ``person``).

    Nothing is recommended here, so ``custom.programs`` is empty."""
    general = query.general_desk(db)
    desk = general.main_desk
    buttons = program_buttons(query.topic_programs(db))
    dispatcher.utter_message(response=response, desk=general.name,
                             phone=facts.desk_phone(desk),
                             buttons=with_human_button(buttons) if person else buttons)


def say_out_of_scope(dispatcher: CollectingDispatcher, db, text: Text) -> None:
    """The honest answer to what the guide does not cover: the office that handles it when the question is plainly
    its own (a worker's wages, a purchase, job-hunting, a household matter: knowledge/offices.yml), then the general
    desk for management questions, as always. No program is recommended; the topics stay as buttons for an owner."""
    office = office_for(db, text)
    if office is None:
        offer_topics(dispatcher, db, "utter_out_of_scope", person=True)
        return
    general = query.general_desk(db)
    dispatcher.utter_message(response="utter_out_of_scope_office", office=office, desk=general.name,
                             phone=facts.desk_phone(general.main_desk),
                             buttons=with_human_button(program_buttons(query.topic_programs(db))))


def not_for_an_owner(db, tracker: Tracker, reading: Reading) -> bool:
    """Whether a program's topic was read in the voice of someone the programs do not serve: a worker about their
    own job, a student about their own career, a household about its own home (knowledge/askers.yml). That is
    answered honestly, like out of scope, unless the program read serves such people too (roles.yml
    ``job_seekers``). Typed messages only: a button is a choice already made; follow-up questions keep their
    program."""
    intent = reading.intent
    read_a_program = is_program_intent(intent) or intent in NEED_WORDS
    if not (read_a_program or reading.candidates) or not understanding.place_may_decide(tracker.latest_message):
        return False  # nothing read in the guide: the out-of-scope answer is honest already
    # the program that would be recommended, or the first one that would be offered
    slug = slug_of_intent(intent) if read_a_program else reading.candidates[0]
    program = query.program(db, slug) if slug is not None else None
    if program is not None and program.section in query.job_seeker_sections(db):
        return False
    return askers.not_an_owner(db, latest_text(tracker))


def answer_elsewhere(dispatcher: CollectingDispatcher, db, place: Whereabouts) -> List[Dict[Text, Any]]:
    """A business outside the prefecture: the programs are for businesses in it; nothing is recommended (no desk
    phone, ``custom.programs`` empty), and the program for moving here to start one is offered as a button."""
    moving_in = query.moving_in_program(db)
    offer = moving_in.offers[-1].name if moving_in.offers else moving_in.name
    dispatcher.utter_message(response="utter_other_prefecture", place=place.place, offer=offer,
                             name=moving_in.name, buttons=[{"title": "青森県への移住・創業の相談",
                                                            "payload": program_button(moving_in)["payload"]}])
    return []


def respond(dispatcher: CollectingDispatcher, tracker: Tracker, db, reading: Reading) -> List[Dict[Text, Any]]:
    """The answer to a reading the assistant may not act on as it stands.

    With a program under discussion, the conversation decides what a half-understood message most likely
    is: a town named (「十和田に住んでるんで」) narrows that program to the nearest desk; a follow-up
    question (the NLU's best guess) is answered about it; anything else unclear is answered with that
    program's desk, never with another program. Without one, the leaning programs are offered to confirm,
    or the honest answer is given."""
    current = focus.program_in_focus(db, tracker)
    numbers = answer_numbers(dispatcher, tracker, db, current)
    if numbers is not None:  # the user's figures, half understood: computed by the guide's rule that takes them
        return numbers
    continued = continue_previous(dispatcher, tracker, db, current)
    if continued is not None:  # 「GL枠だと？」: the previous question with the new part
        return continued
    # a program the store no longer holds (the model is older than the data) is no candidate, as on the sure path
    candidates = [p for p in (query.program(db, slug) for slug in reading.candidates) if p is not None]
    top = reading.intent
    asked_of = current or (candidates[0] if len(candidates) == 1 else None)
    if asked_of is not None and top not in NEVER_IN_FOCUS and answers.fields_asked(
            db, latest_text(tracker), asked_of, followup=current is not None):
        # 「東青地域県民局の農業普及振興室 FAX」「ひきつぎセンター 電話」: a fact asked of a named or likely program
        return answer_question(dispatcher, tracker, db, asked_of, None)
    others = [c for c in candidates if current is None or c.section != current.section]
    top = reading.intent
    location = find_location(db, latest_text(tracker)) if current is not None else None
    if location is not None and not is_program_intent_of_other(top, current):
        # 「八戸市の場合はどこですか」 half-read even as out of scope: a town named mid-conversation
        return answer_location(dispatcher, tracker, db, current, location)
    if current is not None and top not in NEVER_IN_FOCUS:
        followup = top if top in FIELD_OF_INTENT else understanding.best_followup(tracker.latest_message)
        if followup in FIELD_OF_INTENT and not is_program_intent_of_other(top, current):
            return answer_question(dispatcher, tracker, db, current, FIELD_OF_INTENT[followup])
        if others and is_program_intent(top):
            answer_in_focus(dispatcher, current, others)
            return []
        return answer_free(dispatcher, tracker, db, current)
    if others:
        trouble = distress.trouble(db, latest_text(tracker))
        lead = query.candidates(db, trouble)[0] if trouble == distress.DEBT else None
        if lead is not None and others[0].section != lead.section:
            # 「来週の決済、あと200万足りない」 half-read as another program: the desk for money owed leads
            others = [lead, others[0]]
        say_kind_words(dispatcher, tracker, db)
    if len(others) == 1:
        dispatcher.utter_message(response="utter_confirm_program", name=others[0].name,
                                 buttons=program_buttons(others), json_message=programs_payload(others))
        return []
    if len(others) >= 2:
        dispatcher.utter_message(response="utter_confirm_programs", first=others[0].name,
                                 second=others[1].name, buttons=program_buttons(others[:2]),
                                 json_message=programs_payload(others[:2]))
        return []
    # a fact asked of no known program (「相談窓口の電話とFAXは？」) is no sentence to look up: the buttons ask which
    quote = None if top == "out_of_scope" or answers.fields_asked(db, latest_text(tracker)) else \
        passages.best_anywhere(db, latest_text(tracker))
    if quote is not None:
        # 「予定額より実際の費用が膨らんだら、超えた分も払ってもらえる？」: one program's sentence answers it
        program = query.known_program(db, quote.section)
        dispatcher.utter_message(response="utter_answer_quote", name=program.name, section=program.section,
                                 quote=quote.text, desk=program.main_desk.name,
                                 phone=facts.desk_phone(program.main_desk), json_message=programs_payload([program]))
        return [SlotSet(SLOT_PROGRAM, str(program.section))]
    say_nothing_fits(dispatcher, tracker, db)
    return []


def say_nothing_fits(dispatcher: CollectingDispatcher, tracker: Tracker, db) -> None:
    """No program leans: an owner who says it hurts gets a kind sentence and the desks for a business in trouble
    (knowledge/distress.yml), unless it is out of scope and plainly another office's (a worker's unpaid wages);
    otherwise the honest out-of-scope answer, or the topics."""
    text = latest_text(tracker)
    out_of_scope = latest_intent(tracker) == "out_of_scope"
    trouble = distress.trouble(db, text)
    if trouble is not None and not (out_of_scope and office_for(db, text)):
        offer_desks_in_trouble(dispatcher, db, query.candidates(db, trouble))
    elif out_of_scope:
        say_out_of_scope(dispatcher, db, text)
    else:
        offer_topics(dispatcher, db, "utter_low_confidence")


def offer_desks_in_trouble(dispatcher: CollectingDispatcher, db, programs: List[Program]) -> None:
    """「今月もう回らない」: one kind sentence, then the two desks for a business in trouble, the right one first, each
    with its phone; nothing is chosen for the user (the buttons do that)."""
    first, second = programs[:2]
    dispatcher.utter_message(response="utter_distress")
    dispatcher.utter_message(response="utter_distress_desks", first=first.name, first_desk=first.main_desk.name,
                             first_phone=facts.desk_phone(first.main_desk), second=second.name,
                             second_desk=second.main_desk.name, second_phone=facts.desk_phone(second.main_desk),
                             buttons=program_buttons([first, second]), json_message=programs_payload([first, second]))


def offer_a_person_when_unclear_twice(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The second unclear turn in a row (this one and the user's message before it, judged by the same policy):
    the last message also offers 「担当者に相談する」."""
    users = [event for event in tracker.events if event.get("event") == "user"]
    if len(users) < 2 or not dispatcher.messages:
        return
    previous = users[-2].get("parse_data") or {}
    if understanding.read({**previous, "text": users[-2].get("text") or ""}).sure:
        return
    last = dispatcher.messages[-1]
    if HUMAN_BUTTON not in (last.get("buttons") or []):
        last["buttons"] = with_human_button(last.get("buttons") or [])


def answer_in_focus(dispatcher: CollectingDispatcher, current: Program, others: List[Program]) -> None:
    """Unclear, mid-conversation: that program's desk (never another program's), and the other
    programs the NLU leaned to as buttons; nothing changes unless the user picks one."""
    desk = current.main_desk
    dispatcher.utter_message(response="utter_unsure_in_focus_or_other" if others else "utter_unsure_in_focus",
                             name=current.name, desk=desk.name, phone=facts.desk_phone(desk),
                             buttons=program_buttons(others), json_message=programs_payload([current]))


def is_program_intent_of_other(intent, program) -> bool:
    """A program intent that is not the program under discussion (a possible new topic: confirm it)."""
    return is_program_intent(intent) and intent != intent_of_slug(program.slug)
