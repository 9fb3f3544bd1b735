"""「弘前です」: remember where the user is and narrow the current program to the nearest place."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import SLOT_LOCATION, current_program, entity_value, latest_text, render, store_session
from bot.actions.contract import programs_payload
from bot.actions.followup import places_text
from knowledge import query
from knowledge.locations import find_location


class ActionAnswerLocation(Action):
    def name(self) -> Text:
        return "action_answer_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        with store_session() as db:
            location = find_location(db, latest_text(tracker)) or find_location(
                db, entity_value(tracker, "municipality") or "")
            if location is None:
                dispatcher.utter_message(text=render(domain, "utter_location_unknown"), json_message={"programs": []})
                return []
            events = [SlotSet(SLOT_LOCATION, location.municipality or location.area)]
            program = current_program(db, tracker)
            if program is None:
                dispatcher.utter_message(text=render(domain, "utter_location_saved", location=location.label,
                                                     area=location.area), json_message={"programs": []})
                return events
            near = query.places_near(program, location).places if program.places else ()
            if near:
                text = render(domain, "utter_location_places", location=location.label, name=program.name,
                              places=places_text(near))
            else:
                desk = program.main_desk
                text = render(domain, "utter_location_same", name=program.name, location=location.label,
                              desk=desk.name, phone=desk.phone)
                if program.places:
                    text += places_text(program.places)
            dispatcher.utter_message(text=text, json_message=programs_payload([program]))
            return events
