"""How sure the assistant is of what the user meant: the one ambiguity policy every action follows.

Rasa's FallbackClassifier is not in the pipeline on purpose: its threshold would be a second policy
beside this one. Every action asks :func:`read` first and acts only on a sure reading; an unsure one
is answered by asking (「〜についてのご相談でしょうか？」) or, when nothing in the guide fits, honestly.
The thresholds were chosen by hand and checked on the older held-out sets; the owner-voice blind set
(eval/owners/) is only ever measured, never tuned on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Text, Tuple

from bot.actions.intents import FIELD_INTENTS
from bot.program_intents import is_program_intent, slug_of_intent

# The top intent is acted on from this confidence up.
CONFIDENT = 0.5
# Below it, program intents from this confidence up are offered as "did you mean" candidates.
LEANING = 0.1
# A sure program whose runner-up program is within this margin (and itself leaning) is asked about.
CLOSE_MARGIN = 0.15
# A follow-up intent from this confidence up is answered as its field even when the guide has a sentence that
# matches the question's words (below it, a clear match of the guide's own sentence is preferred).
FIELD_SURE = 0.8
# At most this many candidates are offered when unsure.
MAX_CANDIDATES = 2
# Intents whose low confidence is never turned into a program suggestion.
HONEST_INTENTS = frozenset({"out_of_scope", "greet", "thanks", "goodbye", "bot_challenge", "bad_input"})
# Intents that are no question about a business (a place outside named in them decides nothing).
SOCIAL_INTENTS = frozenset({"greet", "thanks", "goodbye", "bot_challenge", "bad_input", "feedback"})


@dataclass(frozen=True)
class Reading:
    """What the latest message means, and whether the assistant may act on it."""

    intent: Optional[Text]
    confidence: float
    sure: bool
    candidates: Tuple[Text, ...] = ()  # program slugs to ask about, best first (empty when sure)


# Rasa's text for an intent triggered from outside (``/conversations/<id>/trigger_intent``, reminders).
EXTERNAL_PREFIX = "EXTERNAL: "


def _is_meant(message: Dict[Text, Any]) -> bool:
    """Buttons send ``/intent{...}`` payloads (Rasa gives them confidence 1.0); an intent triggered from
    outside carries no confidence at all. Neither is a guess to be judged: both are meant."""
    text = message.get("text") or ""
    return text.startswith("/") or text.startswith(EXTERNAL_PREFIX)


def _guarded(message: Dict[Text, Any]) -> bool:
    """bad_input set by the input guard (it adds ``input_problem``) is certain; DIET's own bad_input is only a guess
    (its examples just keep it aware of noise) and is judged like any other reading."""
    return any(e.get("entity") == "input_problem" for e in message.get("entities") or [])


def read(message: Dict[Text, Any]) -> Reading:
    """Judge the latest message (``tracker.latest_message``) by its intent ranking."""
    intent = message.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if _is_meant(message) or (name == "bad_input" and _guarded(message)):
        return Reading(name, confidence, True)
    ranking = message.get("intent_ranking") or [intent]
    programs = [(slug, r["confidence"]) for r in ranking if (slug := slug_of_intent(r.get("name"))) is not None]
    if name == "bad_input":  # DIET's guess, however confident: never acted on as noise
        return Reading(name, confidence, False, tuple(s for s, score in programs if score >= LEANING)[:MAX_CANDIDATES])
    if confidence >= CONFIDENT:
        if is_program_intent(name) and len(programs) > 1:
            second = programs[1][1]
            if second >= LEANING and confidence - second < CLOSE_MARGIN:
                return Reading(name, confidence, False, tuple(slug for slug, _ in programs[:MAX_CANDIDATES]))
        return Reading(name, confidence, True)
    if name in HONEST_INTENTS:
        return Reading(name, confidence, False)
    leaning = tuple(slug for slug, score in programs if score >= LEANING)[:MAX_CANDIDATES]
    return Reading(name, confidence, False, leaning)


def place_may_decide(message: Dict[Text, Any]) -> bool:
    """Whether where the business is (knowledge/elsewhere.py) may decide the answer: for any message the user typed,
    except greetings, thanks and the like (a button is a choice already made)."""
    intent = (message.get("intent") or {}).get("name")
    return not _is_meant(message) and intent not in SOCIAL_INTENTS


def confidence(message: Dict[Text, Any]) -> float:
    intent = message.get("intent") or {}
    return float(intent.get("confidence") or 0.0)


def best_followup(message: Dict[Text, Any]) -> Optional[Text]:
    """The likeliest follow-up question (a field, or where the user is) the message may be, if leaning."""
    ranking = message.get("intent_ranking") or []
    followups = [r for r in ranking if r.get("name") in FIELD_INTENTS or r.get("name") == "inform_location"]
    return followups[0]["name"] if followups and followups[0]["confidence"] >= LEANING else None


def program_ranking(message: Dict[Text, Any], top: int = 3, at_least: float = 0.0) -> Tuple[Text, ...]:
    """The slugs of the ``top`` likeliest program intents (of confidence ``at_least``), best first."""
    ranking = message.get("intent_ranking") or []
    return tuple(slug for r in ranking
                 if (slug := slug_of_intent(r.get("name"))) is not None and r.get("confidence", 0.0) >= at_least)[:top]
