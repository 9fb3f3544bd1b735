"""Which intents are programs: program intents are named after the knowledge store's slugs."""
from __future__ import annotations

from typing import Optional, Text

PROGRAM_INTENT_PREFIX = "program_"
FIELD_INTENTS = ("ask_cost", "ask_phone", "ask_fax", "ask_email", "ask_place", "ask_hours", "ask_eligibility",
                 "ask_limits", "ask_how_to_apply")


def slug_of_intent(intent: Optional[Text]) -> Optional[Text]:
    """program_business_succession -> business-succession."""
    if not intent or not intent.startswith(PROGRAM_INTENT_PREFIX):
        return None
    return intent[len(PROGRAM_INTENT_PREFIX):].replace("_", "-")


def intent_of_slug(slug: Text) -> Text:
    return PROGRAM_INTENT_PREFIX + slug.replace("-", "_")


def is_program_intent(intent: Optional[Text]) -> bool:
    return slug_of_intent(intent) is not None
