"""Limits the assistant enforces and also tells users about: one home, so the refusal and its wording agree.

The message cap itself is :data:`common.settings.MAX_MESSAGE_CHARS` (every layer derives its text caps from it); the
thresholds the environment may change (how fast one sender may write, how much the LINE channel takes on) are
declared, with their defaults and the reasons for them, in common/settings.py."""
from common.settings import KEPT_MESSAGE_CHARS, MAX_MESSAGE_CHARS

__all__ = ["MAX_MESSAGE_CHARS", "stored_message"]


def stored_message(text: str) -> str:
    """What a channel hands to Rasa: a message longer than the limit is cut just past it.

    Rasa keeps every message in the conversation and sends the whole conversation to the action server on every
    turn, so a few very long messages would otherwise make every later turn of that conversation too big to answer.
    Cut just past the limit (``KEPT_MESSAGE_CHARS``), the input guard still sees it is too long and says so."""
    stripped = text.strip()
    return text if len(stripped) <= MAX_MESSAGE_CHARS else stripped[:KEPT_MESSAGE_CHARS]
