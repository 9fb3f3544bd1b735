"""What follow-up intents ask: each names one field of the program under discussion.

Program intents (one per program) are mapped in ``bot/program_intents.py``.
"""
from __future__ import annotations

# Follow-up intent -> the field it asks about (and the response families utter_answer_/utter_missing_<field>).
FIELD_OF_INTENT = {
    "ask_cost": "cost", "ask_phone": "phone", "ask_fax": "fax", "ask_email": "email", "ask_place": "place",
    "ask_hours": "hours", "ask_eligibility": "target", "ask_limits": "limits", "ask_how_to_apply": "how_to_apply",
}
FIELD_INTENTS = tuple(FIELD_OF_INTENT)
