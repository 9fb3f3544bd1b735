"""What intents mean: program intents are named after the knowledge store's slugs; follow-ups ask a field."""
from __future__ import annotations

from typing import Optional, Text

PROGRAM_INTENT_PREFIX = "program_"
# Follow-up intent -> the field it asks about (and the response families utter_answer_/utter_missing_<field>).
FIELD_OF_INTENT = {
    "ask_cost": "cost", "ask_phone": "phone", "ask_fax": "fax", "ask_email": "email", "ask_place": "place",
    "ask_hours": "hours", "ask_eligibility": "target", "ask_limits": "limits", "ask_how_to_apply": "how_to_apply",
}
FIELD_INTENTS = tuple(FIELD_OF_INTENT)


def slug_of_intent(intent: Optional[Text]) -> Optional[Text]:
    """program_business_succession -> business-succession."""
    if not intent or not intent.startswith(PROGRAM_INTENT_PREFIX):
        return None
    return intent[len(PROGRAM_INTENT_PREFIX):].replace("_", "-")


def intent_of_slug(slug: Text) -> Text:
    return PROGRAM_INTENT_PREFIX + slug.replace("-", "_")


def is_program_intent(intent: Optional[Text]) -> bool:
    return slug_of_intent(intent) is not None
