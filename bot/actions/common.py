"""What every action shares: slot names, the store session, the latest message and its entities."""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Tracker

from bot.limits import MAX_MESSAGE_CHARS
from knowledge.db import session

SLOT_PROGRAM = "program"
SLOT_LOCATION = "location"
# The desk or place of the program in focus chosen by name (「計画策定支援の番号」): knowledge/answers.py Spot.key.
SLOT_SPOT = "spot"
# What the last answer was about (the facts asked, 「cost_share」, 「growth」), so that an elliptical follow-up
# (「八戸の場合は？」「GL枠だと？」「給与のほうは？」) continues it: bot/actions/ellipsis.py.
SLOT_ASKED = "asked"

store_session = session


# Characters of an entity value actions read: section numbers, slugs, turn ids and ratings are all short.
MAX_ENTITY_CHARS = 64
# Characters of an intent name (the domain's are far shorter).
MAX_INTENT_CHARS = 80
# A program as buttons name it: its section number or its slug (knowledge/programs/<section>_<slug>.yml).
PROGRAM_KEY = re.compile(r"[0-9]{1,3}|[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def asked(kind: Text) -> List[Dict[Text, Any]]:
    """The slot event remembering what this answer was about (``SLOT_ASKED``)."""
    from rasa_sdk.events import SlotSet

    return [SlotSet(SLOT_ASKED, kind)]


def latest_text(tracker: Tracker) -> Text:
    """The user's message as actions read it: trimmed, at most ``MAX_MESSAGE_CHARS`` characters.

    The input guard refuses longer messages, but an ``/intent{...}`` payload skips the guard."""
    text = tracker.latest_message.get("text")
    return text.strip()[:MAX_MESSAGE_CHARS] if isinstance(text, str) else ""


# The channel of a conversation that came in without one (tests, the shell): the web chat's.
UNKNOWN_CHANNEL = "rest"


def input_channel(tracker: Tracker) -> Text:
    """The channel the latest message came by (``rest``, ``line``), as the handover store records it."""
    return tracker.get_latest_input_channel() or UNKNOWN_CHANNEL


def latest_intent(tracker: Tracker) -> Optional[Text]:
    intent = tracker.latest_message.get("intent")
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) and len(name) <= MAX_INTENT_CHARS else None


def program_key(value: Any) -> Optional[Text]:
    """A section number (「21」, as text) or a slug (「business-succession」), else None: what may be looked up as
    a program. Whether such a program exists is the store's to say (``query.program`` gives None)."""
    if not isinstance(value, str) or not PROGRAM_KEY.fullmatch(value):
        return None
    return str(int(value)) if value.isdigit() else value


# Entities whose values have a form of their own; any other entity is only type-checked and length-capped.
ENTITY_FORMS: Dict[Text, Callable[[Any], Optional[Text]]] = {"program": program_key}


def _scalar_text(value: Any) -> Optional[Text]:
    """A payload's value as text, if it is a short string or an integer; lists arrive as several entities, but
    dicts, floats (NaN, 1e999), booleans, null and long strings are no value of any entity here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if abs(value) < 10 ** MAX_ENTITY_CHARS else None
    if isinstance(value, str) and len(value) <= MAX_ENTITY_CHARS:
        return value
    return None


def entity_value(tracker: Tracker, entity: Text) -> Optional[Text]:
    """The first value of ``entity`` in the latest message, checked: None when it is absent or unusable.

    Entities come from the input guard and from ``/intent{...}`` payloads (DIET extracts none), i.e. from
    whatever JSON the sender typed:
    ``/choose_program{"program": "²"}`` is no program, so it is None here and the action answers that it
    knows no such program, rather than failing on it."""
    value = _scalar_text(next(iter(tracker.get_latest_entity_values(entity)), None))
    form = ENTITY_FORMS.get(entity)
    return form(value) if form and value is not None else value

