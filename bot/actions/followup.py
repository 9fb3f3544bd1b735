"""Follow-up questions about the program under discussion: 「費用はかかりますか」「FAX番号を知りたい」."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import focus
from bot.actions.base import AssistantAction
from bot.actions.common import SLOT_PROGRAM, latest_intent, latest_text, topic_programs
from bot.actions.contract import program_buttons, programs_payload
from bot.actions.intents import FIELD_OF_INTENT
from bot.actions.places import location_response
from knowledge import facts, query, rules
from knowledge.hours import JST
from knowledge.locations import find_location
from knowledge.models import Program

# Fields answered with the guide's text shown whole (utter_answer_<field>); place and hours have replies of their own.
VALUE_FIELDS = ("cost", "phone", "fax", "email", "target", "limits", "how_to_apply")


def ask_program_first(dispatcher: CollectingDispatcher, db) -> List[Dict[Text, Any]]:
    """A follow-up before any program: ask which, with the main topics as buttons."""
    dispatcher.utter_message(response="utter_ask_program_first", buttons=program_buttons(topic_programs(db)))
    return []


def say_missing(dispatcher: CollectingDispatcher, program: Program, field: Text) -> None:
    desk = program.main_desk
    dispatcher.utter_message(response=f"utter_missing_{field}", name=program.name, section=program.section,
                             desk=desk.name, phone=facts.desk_phone(desk),
                             json_message=programs_payload([program]))


def say_hours(dispatcher: CollectingDispatcher, db, program: Program, now: datetime) -> bool:
    """Hours of the first desk or place that has them, and whether it is open now."""
    where = next(iter(query.with_hours(program)), None)
    if where is None:
        return False
    status = query.open_status(db, where, now)
    values = dict(name=program.name, section=program.section, where=where.name, hours=status.hours_text,
                  json_message=programs_payload([program]))
    if status.is_open is None:
        dispatcher.utter_message(response="utter_answer_hours_unknown", **values)
    elif status.is_open:
        dispatcher.utter_message(response="utter_answer_hours_open", **values)
    elif status.next_opening:
        dispatcher.utter_message(response="utter_answer_hours_closed",
                                 next_open=facts.moment_text(status.next_opening), **values)
    else:
        dispatcher.utter_message(response="utter_answer_hours_unknown", **values)
    return True


def say_places(dispatcher: CollectingDispatcher, db, program: Program, text: Text) -> None:
    """The desk's address, and the program's places: the nearest ones when the message names a town."""
    desk = program.main_desk
    address = desk.address or desk.location
    payload = programs_payload([program])
    location = find_location(db, text) if program.places else None
    near = query.places_near(program, location) if location else ()
    if near:
        response, where = location_response("utter_answer_place_near", location)
        dispatcher.utter_message(response=response, name=program.name, section=program.section,
                                 places=facts.place_lines(near), json_message=payload, **where)
    elif program.places:
        dispatcher.utter_message(response="utter_answer_place_list", name=program.name, section=program.section,
                                 places=facts.place_lines(program.places), json_message=payload)
    elif address:
        dispatcher.utter_message(response="utter_answer_place", name=program.name, section=program.section,
                                 desk=desk.name, address=address, json_message=payload)
    else:
        say_missing(dispatcher, program, "place")


def field_value(db, program: Program, field: Text) -> Optional[Text]:
    """The guide's text for one field, whole; lists (phones of several desks, conditions) as lines."""
    if field in ("phone", "fax", "email"):
        return "\n".join(facts.field_lines(program, field)) or None
    if field == "target":
        target = program.eligibility_target
        conditions = program.eligibility_conditions or []
        if not target:
            return None
        return target + ("\n" + facts.bullet_lines(conditions) if conditions else "")
    if field == "limits":
        if program.limits_text:
            return program.limits_text
        limit = rules.visit_limit(db, program.section)
        return limit.text if limit else None
    value = query.field_value(program, field)
    if value and program.places and facts.points_to_a_list(value):
        # §16's 「次の窓口や相談会を実施しています」: the list it points to is the program's places
        return value + "\n" + facts.place_lines(program.places)
    return value


def answer_field(dispatcher: CollectingDispatcher, db, program: Program, field: Text, text: Text) -> None:
    if field == "hours":
        if not say_hours(dispatcher, db, program, datetime.now(JST)):
            say_missing(dispatcher, program, "hours")
        return
    if field == "place":
        say_places(dispatcher, db, program, text)
        return
    assert field in VALUE_FIELDS, field
    value = field_value(db, program, field)
    if not value:
        say_missing(dispatcher, program, field)
        return
    dispatcher.utter_message(response=f"utter_answer_{field}", name=program.name, section=program.section,
                             value=value, json_message=programs_payload([program]))


class ActionAnswerField(AssistantAction):
    def name(self) -> Text:
        return "action_answer_field"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        program = focus.program_in_focus(db, tracker)
        field = FIELD_OF_INTENT.get(latest_intent(tracker) or "")
        if program is None or field is None:
            return ask_program_first(dispatcher, db)
        answer_field(dispatcher, db, program, field, latest_text(tracker))
        return [SlotSet(SLOT_PROGRAM, str(program.section))]
