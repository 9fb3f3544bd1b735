"""Limits the assistant enforces and also tells users about: one home, so the refusal and its wording agree."""

# Characters in one message; a longer message is refused politely (bot/components/input_guard.py), and the
# refusal says this number (bot/actions/unsure.py).
MAX_MESSAGE_CHARS = 1000
