"""Small helpers every action shares: slot names, domain templates, the store session, topics."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import yaml

from rasa_sdk import Tracker

from knowledge import query
from knowledge.db import session
from knowledge.models import Program

SLOT_PROGRAM = "program"
SLOT_LOCATION = "location"
PROGRAM_INTENT_PREFIX = "program_"
# The general desk offered when nothing fits (the guide's §16, よろず支援拠点: 経営課題全般の相談).
GENERAL_DESK_SECTION = 16
# Topics offered as buttons when the assistant could not understand: the most asked-for programs.
TOPIC_SECTIONS = (16, 2, 6, 21, 17)

store_session = session


REPLIES_FILE = Path(__file__).with_name("replies.yml")


@lru_cache(maxsize=1)
def _replies() -> Dict[Text, Text]:
    with REPLIES_FILE.open(encoding="utf-8") as handle:
        return {name: variants[0]["text"] for name, variants in yaml.safe_load(handle).items()}


def render(domain: Dict[Text, Any], response: Text, **values: Any) -> Text:
    """Fill a sentence of replies.yml (or of the domain's responses) with facts from the store."""
    template = _replies().get(response) or domain["responses"][response][0]["text"]
    return template.format(**{k: ("" if v is None else v) for k, v in values.items()})


def slug_of_intent(intent: Optional[Text]) -> Optional[Text]:
    """program_business_succession -> business-succession (intents are named after slugs)."""
    if not intent or not intent.startswith(PROGRAM_INTENT_PREFIX):
        return None
    return intent[len(PROGRAM_INTENT_PREFIX):].replace("_", "-")


def latest_text(tracker: Tracker) -> Text:
    return tracker.latest_message.get("text") or ""


def latest_intent(tracker: Tracker) -> Optional[Text]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def entity_value(tracker: Tracker, entity: Text) -> Optional[Text]:
    return next(tracker.get_latest_entity_values(entity), None)


def current_program(db, tracker: Tracker) -> Optional[Program]:
    section = tracker.get_slot(SLOT_PROGRAM)
    return query.program(db, section) if section else None


def topic_programs(db) -> List[Program]:
    return [query.program(db, section) for section in TOPIC_SECTIONS]


def general_desk(db) -> Program:
    return query.program(db, GENERAL_DESK_SECTION)
