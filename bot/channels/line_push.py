"""Staff's messages to LINE users, by the Push API: the reply token of the user's last message is long expired.

What the store holds for LINE users (handover/store.py's outbox: staff messages, and system messages such as the
handover's end or a timed-out wait) is claimed for a lease, rendered by line_render (a program card becomes a Flex
bubble, as in the assistant's own answers), pushed to the user (the LINE user id is the conversation's sender id),
and marked delivered:

- each stored message is one Push API call with its own ``X-Line-Retry-Key``, a UUID derived from the message. If
  the call is retried (the process died after LINE accepted it and before marking it, or the answer was lost),
  LINE answers 409 instead of sending it again, and the message is marked delivered;
- a process killed while pushing loses nothing: its claim lapses after the store's lease and another process (or
  this one, restarted) pushes what was left;
- a user's messages go out in order: after a failure, that user's later messages wait for the next round, and
  the store claims none of them while an earlier one is still claimed (by a push to be retried, or by a process
  that died): they go out after it, when its lease has lapsed;
- LINE refusing for good (another 4xx: a user who blocked the account, a malformed message) is logged with its
  status and the message is not tried again; a rate limit (429), a server error or a network failure is retried
  after the lease.

Pushes count against the LINE plan's monthly messages (replies do not). No user id or text is logged.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Dict, List, Optional

from bot.channels import handover_link
from bot.channels.line_render import render
from handover.records import Message

logger = logging.getLogger(__name__)

CHANNEL = "line"
PUSH_TIMEOUT_SECONDS = 10.0
# The namespace of the retry keys: uuid5(this, message id and time) is the same on every attempt for one message.
RETRY_KEYS = uuid.UUID("6f1d2c4e-4b7a-5a53-9a41-0c5e2f7d8b10")
DELIVERED, RETRY, REFUSED = "delivered", "retry", "refused"


def retry_key(message: Message) -> str:
    """The message's ``X-Line-Retry-Key``: a UUID, the same for every attempt, different for every message (its
    creation time is in it too, so a database started afresh does not reuse a key LINE still remembers)."""
    return str(uuid.uuid5(RETRY_KEYS, f"handover-message:{message.id}:{message.created_at.isoformat()}"))


async def push(api: Any, message: Message) -> str:
    """One stored message as one Push API call: DELIVERED (or nothing to send), RETRY later, or REFUSED for good."""
    from linebot.v3.messaging import PushMessageRequest
    from linebot.v3.messaging.exceptions import ApiException

    messages = render([{"text": message.text, "custom": message.custom}])
    if not messages or not message.sender:  # nothing drawable, or a pruned sender: nothing to send
        return DELIVERED
    try:
        await asyncio.wait_for(api.push_message(PushMessageRequest(to=message.sender, messages=messages),
                                                x_line_retry_key=retry_key(message)), PUSH_TIMEOUT_SECONDS)
        return DELIVERED
    except ApiException as error:
        if error.status == 409:  # this retry key was accepted before: it was sent
            logger.info("line.push.already_accepted", extra={"handover_message": message.id})
            return DELIVERED
        if error.status == 429 or (error.status or 500) >= 500:
            logger.warning("line.push.failed; retried later",
                           extra={"handover_message": message.id, "status": error.status})
            return RETRY
        logger.error("line.push.refused", extra={"handover_message": message.id, "status": error.status})
        return REFUSED
    except Exception as error:  # a timeout, aiohttp's and the network's errors: try again later
        logger.warning("line.push.failed; retried later", extra={"handover_message": message.id,
                                                                 "error": type(error).__name__})
        return RETRY


async def push_to_user(api: Any, messages: List[Message]) -> List[int]:
    """One user's claimed messages, in order; after a failure, the rest wait for the next round (order). The ids
    of those delivered (or refused for good)."""
    done: List[int] = []
    for message in messages:
        if await push(api, message) == RETRY:
            break
        done.append(message.id)
    return done


async def deliver(store: handover_link.Store, api: Any, worker: str, now: Optional[Any] = None) -> int:
    """Claim what is to be pushed to LINE users, push it, mark it; how many messages were delivered or refused.

    Users are served side by side (each user's messages one after another, in order), and the round's messages are
    marked in one write, so that a round for many users takes about as long as one user's push: under load, each
    hop back to a busy event loop costs a while. A process that dies before the write loses nothing and sends
    nothing twice: the lease lapses, and the push is retried with the same retry key (LINE answers 409).
    ``now`` (for tests): the moment of the claim, which decides whose leases have lapsed."""
    claimed = await handover_link.in_delivery_thread(store.claim_undelivered, CHANNEL, worker, now)
    by_user: Dict[Optional[str], List[Message]] = {}
    for message in claimed:
        by_user.setdefault(message.sender, []).append(message)
    done = [i for ids in await asyncio.gather(*(push_to_user(api, ms) for ms in by_user.values())) for i in ids]
    if done:
        await handover_link.in_delivery_thread(store.mark_delivered, done)
    return len(done)
