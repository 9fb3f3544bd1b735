"""「弘前です」: remember where the user is and narrow the program under discussion to the nearest place."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import focus
from bot.actions.base import AssistantAction
from bot.actions.common import SLOT_LOCATION, SLOT_PROGRAM, latest_text
from bot.actions.contract import programs_payload
from bot.actions.followup import answer_question
from bot.actions.places import location_response
from knowledge import answers, facts, query
from knowledge.locations import Location, find_location
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


class ActionAnswerLocation(AssistantAction):
    def name(self) -> Text:
        return "action_answer_location"

    def answer(self, dispatcher, tracker: Tracker, db, domain) -> List[Dict[Text, Any]]:
        location = find_location(db, latest_text(tracker))
        if location is None:
            dispatcher.utter_message(response="utter_location_unknown")
            return []
        program = focus.program_in_focus(db, tracker)
        if program is not None and answers.fields_asked(db, latest_text(tracker), program):
            return answer_question(dispatcher, tracker, db, program, None)  # 「むつ 農商工連携 FAX」
        from bot.actions.ellipsis import continue_previous  # ellipsis uses the rule actions, which use this module

        continued = continue_previous(dispatcher, tracker, db, program)
        if continued is not None:  # 「八戸の場合は？」 after 「FAXは？」: the FAX of 八戸's desk
            return continued
        return answer_location(dispatcher, tracker, db, focus.program_in_focus(db, tracker), location)
