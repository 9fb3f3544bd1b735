"""Limits the assistant enforces and also tells users about: one home, so the refusal and its wording agree.

The thresholds the environment may change (how fast one sender may write, how much the LINE channel takes on) are
settings: declared, with their defaults and the reasons for them, in common/settings.py."""
# Characters in one message; a longer message is refused politely (bot/components/input_guard.py), and the
# refusal says this number (bot/actions/unsure.py).
MAX_MESSAGE_CHARS = 1000


def stored_message(text: str) -> str:
    """What a channel hands to Rasa: a message longer than the limit is cut just past it.

    Rasa keeps every message in the conversation and sends the whole conversation to the action server on every
    turn, so a few very long messages would otherwise make every later turn of that conversation too big to answer.
    Cut just past the limit, the input guard still sees it is too long and says so."""
    stripped = text.strip()
    return text if len(stripped) <= MAX_MESSAGE_CHARS else stripped[:MAX_MESSAGE_CHARS + 1]

