"""What every action shares: slot names, the store session, the latest message, the general desk and topics."""
from __future__ import annotations

from typing import List, Optional, Text

from rasa_sdk import Tracker

from knowledge import query
from knowledge.db import session
from knowledge.models import Program

SLOT_PROGRAM = "program"
SLOT_LOCATION = "location"
# The general desk offered when nothing fits (the guide's §16, よろず支援拠点: 経営課題全般の相談).
GENERAL_DESK_SECTION = 16
# Topics offered as buttons when the assistant could not understand: the most asked-for programs.
TOPIC_SECTIONS = (16, 2, 6, 21, 17)

store_session = session


def latest_text(tracker: Tracker) -> Text:
    return tracker.latest_message.get("text") or ""


def latest_intent(tracker: Tracker) -> Optional[Text]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def entity_value(tracker: Tracker, entity: Text) -> Optional[Text]:
    return next(tracker.get_latest_entity_values(entity), None)


def topic_programs(db) -> List[Program]:
    return [query.program(db, section) for section in TOPIC_SECTIONS]


def general_desk(db) -> Program:
    return query.program(db, GENERAL_DESK_SECTION)
