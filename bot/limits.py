"""Limits the assistant enforces and also tells users about: one home, so the refusal and its wording agree."""
import os
from typing import Mapping, Optional

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


# ---- how fast one sender may write, and how much the LINE channel takes on (bot/sender_limits.py, bot/channels/) ----
# Each can be changed from the environment (the variable named beside it); 0 turns a message limit off.

# Messages one sender (a web chat conversation, a LINE user) may send per window, on each channel. A business owner
# types Japanese through an input method and reads each answer: even typing fast and tapping choices and 👍/👎, that
# is at most a message every few seconds (about 10 to 20 a minute). 40 a minute is twice that, so no real user meets
# it, while a runaway script or a stuck client is stopped after 40 turns instead of taking a process's every turn.
SENDER_MESSAGES = 40                      # RATE_LIMIT_MESSAGES
RATE_WINDOW_SECONDS = 60                  # RATE_LIMIT_WINDOW_SECONDS: the window both message limits count in
# REST messages from one client address per window, when Rasa is reached directly (`make run`; in production nginx
# limits per address). Senders are chosen by the client, so this is what stops one machine posing as many senders;
# an office behind one address with several people consulting at once (a message every 20 s or so each) stays far
# below it. Loopback peers (the machine itself, a local proxy) are never counted: see bot/channels/rest.py.
ADDRESS_MESSAGES = 120                    # RATE_LIMIT_ADDRESS_MESSAGES
# LINE events one Rasa process works on at once (answered 503 beyond: LINE may redeliver, bot/channels/line.py). A
# process's turns share one event loop; a turn takes about 30 ms, at most a few hundred (measured over REST on 2 cores),
# so 100 waiting events are answered well within the reply token's minute (LINE: a reply token is to be used within
# a minute of receipt); a longer backlog would turn replies into pushes, which count against the month's quota.
LINE_EVENTS_IN_FLIGHT = 100               # LINE_MAX_EVENTS_IN_FLIGHT
# How long a LINE webhookEventId is remembered across processes (Redis) so that a redelivery is answered once. LINE
# does not disclose how long it retries; a redelivered reply token only works within 20 minutes of the event (LINE's
# reply documentation). A day is far beyond both, at a few dozen bytes per event.
LINE_EVENT_IDS_SECONDS = 24 * 3600        # LINE_EVENT_IDS_SECONDS


def setting(name: str, default: int, environ: Optional[Mapping[str, str]] = None) -> int:
    """The whole number ``name`` from the environment, else ``default``.

    A value that is set but not a whole number of 0 or more stops the server at start (ValueError naming it):
    a limit silently replaced by its default would look configured and not be."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{name} must be a whole number of 0 or more, not {raw!r}")
    return value


def seconds_setting(name: str, default: float, minimum: float = 0.0, maximum: float = 3600.0) -> float:
    """A duration in seconds from the environment variable ``name``: ``default`` when unset, not a number, or not
    strictly between ``minimum`` and ``maximum`` (a timeout set to 0 or to a week would hang or stall turns)."""
    try:
        seconds = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return seconds if minimum < seconds < maximum else default
