"""Follow-up questions about the program under discussion: 「費用はかかりますか」「FAXとメール両方教えて」.

Which desk or place the answer speaks of, and its facts, come from one call to the knowledge layer
(knowledge/answers.py); this module only picks the sentence that renders them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import focus, understanding
from bot.actions.common import SLOT_ASKED, SLOT_LOCATION, SLOT_PROGRAM, latest_text
from bot.actions.contract import program_buttons, programs_payload
from bot.actions.places import location_response
from knowledge import answers, facts, passages, query
from knowledge.hours import JST
from knowledge.locations import find_location
from knowledge.models import Program

# Program facts asked alone keep their own sentence (utter_answer_<field> / utter_missing_<field>).
OWN_SENTENCE_FIELDS = ("cost", "target", "limits", "how_to_apply")
# Fields whose absence has a sentence of its own (utter_missing_<field>); other missing facts: utter_missing_facts.
MISSING_FIELDS = (*OWN_SENTENCE_FIELDS, "place")
# The intent's field, as the knowledge layer names it (「場所」 is the chosen record's address).
LAYER_FIELD = {"place": "address"}


def ask_program_first(dispatcher: CollectingDispatcher, db) -> List[Dict[Text, Any]]:
    """A follow-up before any program: ask which, with the main topics as buttons."""
    dispatcher.utter_message(response="utter_ask_program_first", buttons=program_buttons(query.topic_programs(db)))
    return []


def first_phone(spot: answers.Spot) -> Text:
    lines = answers.contact_summary(spot)
    return next((line.removeprefix("電話：") for line in lines if line.startswith("電話：")), "")


def say_missing(dispatcher: CollectingDispatcher, spot: answers.Spot, field: Text) -> None:
    program = spot.program
    dispatcher.utter_message(response=f"utter_missing_{field}", name=program.name, section=program.section,
                             desk=spot.name, phone=first_phone(spot),
                             json_message=programs_payload([program], spot))


def say_hours(dispatcher: CollectingDispatcher, db, spot: answers.Spot, now: datetime) -> bool:
    """Hours of the chosen desk or place (the main desk: of the first record that has them), and whether it
    is open now."""
    program = spot.program
    where = spot.venue if spot.venue.hours else (next(iter(query.with_hours(program)), None) if spot.is_main
                                                  else None)
    if where is None:
        return False
    status = query.open_status(db, where, now)
    if status is None:  # never: ``where`` has hours
        return False
    values = dict(name=program.name, section=program.section, where=where.name, hours=status.hours_text,
                  json_message=programs_payload([program], spot))
    if status.is_open is None or (not status.is_open and not status.next_opening):
        dispatcher.utter_message(response="utter_answer_hours_unknown", **values)
    elif status.is_open:
        dispatcher.utter_message(response="utter_answer_hours_open", **values)
    else:
        assert status.next_opening is not None  # closed, with a next opening (the first branch takes the rest)
        dispatcher.utter_message(response="utter_answer_hours_closed",
                                 next_open=facts.moment_text(status.next_opening), **values)
    return True


def say_places(dispatcher: CollectingDispatcher, db, spot: answers.Spot, text: Text, remembered_town=None) -> None:
    """The main desk's address and the program's places (the nearest when the user's town is known: all of them
    when it has several, as §18's 八戸); a chosen desk or place: its own; a chosen desk with no address of its own
    (§9's booking desk, for 「相談会ってどこでやってるの？」): the program's places."""
    program = spot.program
    payload = programs_payload([program], spot)
    location = (find_location(db, text) or remembered_town) if program.places else None
    near = query.places_near(program, location) if location else ()
    own = answers.fact_lines_of(spot, ["address"])
    if not spot.is_main and not (spot.via == "place" and len(near) > 1) and (own or not program.places):
        say_facts(dispatcher, db, spot, ["address"])
        return
    address = answers.fact(db, spot, "address", "").lines
    if near and location is not None:
        response, where = location_response("utter_answer_place_near", location)
        dispatcher.utter_message(response=response, name=program.name, section=program.section,
                                 places=facts.place_lines(near), json_message=payload, **where)
    elif program.places:
        dispatcher.utter_message(response="utter_answer_place_list", name=program.name, section=program.section,
                                 places=facts.place_lines(program.places), json_message=payload)
    elif address:
        dispatcher.utter_message(response="utter_answer_place", name=program.name, section=program.section,
                                 desk=spot.name, address=address[0], json_message=payload)
    else:
        say_missing(dispatcher, spot, "place")


def fact_lines(found: Sequence[answers.Fact]) -> Text:
    return "\n".join(f"{fact.label}：{line}" for fact in found for line in fact.lines)


def say_facts(dispatcher: CollectingDispatcher, db, spot: answers.Spot, names: Sequence[Text]) -> None:
    """Every fact asked, labelled, in one reply; what the chosen record lacks is said plainly, with what it has."""
    answer = answers.answer(db, spot, names)
    program = spot.program
    values = dict(name=program.name, section=program.section, where=spot.name,
                  json_message=programs_payload([program], spot))
    missing = "・".join(f.label for f in answer.missing)
    if not answer.found:
        contacts = "\n".join(answers.contact_summary(spot)) or "（支援ガイドに連絡先の記載がありません）"
        dispatcher.utter_message(response="utter_missing_facts", missing=missing, contacts=contacts, **values)
    elif answer.missing:
        dispatcher.utter_message(response="utter_answer_facts_partial", facts=fact_lines(answer.found),
                                 missing=missing, **values)
    else:
        dispatcher.utter_message(response="utter_answer_facts", facts=fact_lines(answer.found), **values)


def say_quote(dispatcher: CollectingDispatcher, db, spot: answers.Spot, question: Text, strong_only: bool = False
              ) -> bool:
    """A question no field answers (「相談は秘密にしてもらえますか」): the guide's own sentence that answers it,
    quoted whole with its section; False when the program's text holds none. ``strong_only``: the NLU's field has an
    answer too, so only a sentence that matches clearly (``Quote.strong``) is preferred to it."""
    quote = passages.best_quote(db, spot.program.section, question, known=passages.identity(spot.program))
    if quote is None or (strong_only and not quote.strong):
        return False
    dispatcher.utter_message(response="utter_answer_quote", name=spot.program.name, section=spot.program.section,
                             quote=quote.text, desk=spot.name, phone=first_phone(spot),
                             json_message=programs_payload([spot.program], spot))
    return True


def say_guide_silent(dispatcher: CollectingDispatcher, spot: answers.Spot) -> None:
    """The guide says nothing that answers the question: say so, and give the chosen desk."""
    contacts = "\n".join(answers.contact_summary(spot))
    dispatcher.utter_message(response="utter_guide_silent", name=spot.program.name, section=spot.program.section,
                             desk=spot.name, contacts=contacts, json_message=programs_payload([spot.program], spot))


def remember(fields: Sequence[Text]) -> List[Dict[Text, Any]]:
    return [SlotSet(SLOT_ASKED, ",".join(fields))] if fields else []


def focus_events(tracker: Tracker, program: Program) -> List[Dict[Text, Any]]:
    """The program slot, when the answer moves the conversation to ``program`` (nothing when it is there)."""
    return [] if tracker.get_slot(SLOT_PROGRAM) == str(program.section) else [SlotSet(SLOT_PROGRAM,
                                                                                      str(program.section))]


def answer_free(dispatcher: CollectingDispatcher, tracker: Tracker, db, program: Program
                ) -> List[Dict[Text, Any]]:
    """Any question about the program in focus that no field answers: the guide's sentence, or 記載がありません."""
    spot, events = focus.spot_in_focus(db, tracker, program)
    if not say_quote(dispatcher, db, spot, latest_text(tracker)):
        say_guide_silent(dispatcher, spot)
    return [*events, *focus_events(tracker, program)]


def answer_question(dispatcher: CollectingDispatcher, tracker: Tracker, db, program: Program,
                    field: Optional[Text], fields: Sequence[Text] = ()) -> List[Dict[Text, Any]]:
    """Answer what the message asks about ``program`` (every fact it names, else the intent's ``field``), from
    the desk or place the conversation points to. Returns the slots to set."""
    text = latest_text(tracker)
    spot, events = focus.spot_in_focus(db, tracker, program)
    named = list(fields) or answers.fields_asked(db, text, program)
    asked = named or ([LAYER_FIELD.get(field, field)] if field else [])
    events = [*events, SlotSet(SLOT_PROGRAM, str(program.section)), *remember(asked)]
    field_answered = bool(asked) and bool(answers.fact(db, spot, asked[0], "").lines)
    sure = understanding.confidence(tracker.latest_message) >= understanding.FIELD_SURE
    if not named and not text.startswith("/") and not (field_answered and sure) and say_quote(
            dispatcher, db, spot, text, strong_only=field_answered):
        pass  # no word of any field, and the guide has a sentence that answers it (「秘密にしてもらえますか」)
    elif not asked:
        say_facts(dispatcher, db, spot, ["phone"])
    elif asked == ["hours"]:
        if not say_hours(dispatcher, db, spot, datetime.now(JST)):
            say_facts(dispatcher, db, spot, asked)
    elif asked == ["address"]:
        town = tracker.get_slot(SLOT_LOCATION)
        say_places(dispatcher, db, spot, text, find_location(db, town) if town else None)
    elif len(asked) == 1 and asked[0] in OWN_SENTENCE_FIELDS:
        value = answers.program_value(db, program, asked[0])
        if value:
            dispatcher.utter_message(response=f"utter_answer_{asked[0]}", name=program.name,
                                     section=program.section, value=value,
                                     json_message=programs_payload([program], spot))
        else:
            say_missing(dispatcher, spot, asked[0])
    else:
        say_facts(dispatcher, db, spot, asked)
    return events
