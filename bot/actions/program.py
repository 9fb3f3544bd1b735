"""Recommend a program for the user's situation, or ask which one when several fit."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import (SLOT_LOCATION, SLOT_PROGRAM, entity_value, latest_intent, latest_text, render,
                                slug_of_intent, store_session)
from bot.actions.contract import program_buttons, programs_payload
from bot.actions.fallback import offer_topics
from bot.actions.followup import place_phone
from knowledge import query
from knowledge.locations import Location, find_location
from knowledge.models import Program

# Two program intents closer than this (and the second above MIN_SECOND) are asked about, not guessed.
AMBIGUITY_MARGIN = 0.25
MIN_SECOND = 0.2

# Situations the guide serves with several programs; sections in the order of the buttons.
MARKET_CANDIDATES = (17, 10, 11, 12, 4)
EXPERT_CANDIDATES = (19, 2, 3, 4, 8)
# Markets the user may name, and the program that serves each (sections, not facts).
MARKET_SECTIONS = (("台湾", 11), ("香港", 12), ("首都圏", 17), ("東京", 17), ("関東", 17), ("海外", 10))


def program_reply(domain: Dict[Text, Any], program: Program, location: Optional[Location]) -> Text:
    """The recommendation text: what it is, the desk and its phone, and a nearby place if known."""
    desk = program.main_desk
    extra = ""
    if desk.phone_note:
        extra += desk.phone_note
    if desk.email:
        extra += f"\nメール：{desk.email}"
    if desk.hours:
        extra += f"\n受付：{desk.hours['text']}"
    text = render(domain, "utter_program", name=program.name, section=program.section, summary=program.summary,
                  desk=desk.name, phone=desk.phone, extra=extra)
    if location and program.places:
        near = query.places_near(program, location).places
        if near:
            place = near[0]
            text += render(domain, "utter_program_local", location=location.label, place=place.name,
                           address=f"（{place.address}）" if place.address else "", contact=place_phone(place))
    return text


def location_events(db, tracker: Tracker) -> Tuple[Optional[Location], List[Dict[Text, Any]]]:
    """A place named in this message wins over the remembered one, and is remembered."""
    said = find_location(db, latest_text(tracker))
    if said:
        return said, [SlotSet(SLOT_LOCATION, said.municipality or said.area)]
    remembered = tracker.get_slot(SLOT_LOCATION)
    return (find_location(db, remembered) if remembered else None), []


def recommend(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any], db,
              program: Program) -> List[Dict[Text, Any]]:
    location, events = location_events(db, tracker)
    dispatcher.utter_message(text=program_reply(domain, program, location), json_message=programs_payload([program]))
    return [SlotSet(SLOT_PROGRAM, str(program.section)), *events]


def ask_which(dispatcher: CollectingDispatcher, domain: Dict[Text, Any], candidates: List[Program]) -> None:
    dispatcher.utter_message(text=render(domain, "utter_which_program"), buttons=program_buttons(candidates),
                             json_message=programs_payload(candidates))


def program_confidences(tracker: Tracker) -> Dict[Text, float]:
    """slug -> NLU confidence for every program intent in the latest message's ranking."""
    return {slug_of_intent(r["name"]): r["confidence"] for r in tracker.latest_message.get("intent_ranking", [])
            if slug_of_intent(r.get("name"))}


def by_confidence(programs: List[Program], tracker: Tracker) -> List[Program]:
    """Candidates the NLU finds likelier first; the guide's order breaks ties."""
    confidence = program_confidences(tracker)
    return sorted(programs, key=lambda p: -confidence.get(p.slug, 0.0))


def close_program_intents(tracker: Tracker) -> List[Text]:
    """Program intents whose confidence is too close to the best one to choose between them."""
    ranking = [r for r in tracker.latest_message.get("intent_ranking", []) if slug_of_intent(r.get("name"))]
    if len(ranking) < 2:
        return []
    best, second = ranking[0], ranking[1]
    if second["confidence"] >= MIN_SECOND and best["confidence"] - second["confidence"] < AMBIGUITY_MARGIN:
        return [best["name"], second["name"]]
    return []


class ActionRecommendProgram(Action):
    def name(self) -> Text:
        return "action_recommend_program"

    async def run(self, dispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        with store_session() as db:
            intent = latest_intent(tracker)
            chosen = entity_value(tracker, "program")
            if chosen:
                program = query.program(db, str(chosen))
            else:
                close = close_program_intents(tracker)
                if close:
                    ask_which(dispatcher, domain, [query.program(db, slug_of_intent(i)) for i in close])
                    return []
                program = query.program(db, slug_of_intent(intent) or "")
            if program is None:  # a stale button or an unknown section: offer the topics instead
                offer_topics(dispatcher, domain, db, "utter_low_confidence")
                return []
            return recommend(dispatcher, tracker, domain, db, program)


class ActionWhichProgram(Action):
    """「販路を広げたい」「専門家に来てほしい」: several programs fit; a named market decides at once."""

    def name(self) -> Text:
        return "action_which_program"

    async def run(self, dispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = latest_text(tracker) + " " + " ".join(tracker.get_latest_entity_values("market"))
        with store_session() as db:
            if latest_intent(tracker) == "need_market_expansion":
                named = next((section for word, section in MARKET_SECTIONS if word in text), None)
                if named:
                    return recommend(dispatcher, tracker, domain, db, query.program(db, named))
                sections = MARKET_CANDIDATES
            else:
                sections = EXPERT_CANDIDATES
            ask_which(dispatcher, domain, by_confidence([query.program(db, s) for s in sections], tracker))
        return []
