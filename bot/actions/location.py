"""「弘前です」: remember where the user is and narrow the program under discussion to the nearest place."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import focus
from bot.actions.common import SLOT_LOCATION, SLOT_PROGRAM
from bot.actions.contract import programs_payload
from bot.actions.places import location_response
from knowledge import answers, facts, query
from knowledge.locations import Location
from knowledge.models import Program


def answer_location(dispatcher: CollectingDispatcher, tracker: Tracker, db, program: Optional[Program],
                    location: Location) -> List[Dict[Text, Any]]:
    """Remember where the user is; for the program under discussion, the local desk, room or venue (with the
    desk that takes its bookings when it lists no contacts of its own), else the desk that serves every town."""
    events = [SlotSet(SLOT_LOCATION, location.municipality or location.area)]
    if program is None:
        response, where = location_response("utter_location_saved", location)
        dispatcher.utter_message(response=response, **where)
        return events
    spot, spot_events = focus.spot_in_focus(db, tracker, program)
    payload = programs_payload([program], spot)
    near = query.places_near(program, location) if program.places else ()
    desk = program.main_desk
    if near:
        reached = spot.reached_through if spot.place in near else None
        lines = facts.place_lines(near) + (f"\n予約・お問い合わせ：{reached.name}\n" + "\n".join(
            answers.contact_summary(spot)) if reached is not None else "")
        response, where = location_response("utter_location_places", location)
        dispatcher.utter_message(response=response, name=program.name, section=program.section,
                                 places=lines, json_message=payload, **where)
    elif program.places:
        response, where = location_response("utter_location_no_local_place", location)
        dispatcher.utter_message(response=response, name=program.name, section=program.section,
                                 places=facts.place_lines(program.places), json_message=payload, **where)
    else:
        response, where = location_response("utter_location_same_desk", location)
        dispatcher.utter_message(response=response, name=program.name, section=program.section,
                                 desk=desk.name, contacts=facts.contacts(desk), json_message=payload, **where)
    return [*events, *spot_events, SlotSet(SLOT_PROGRAM, str(program.section))]
