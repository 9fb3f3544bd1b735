"""The REST channel at ``/webhooks/rest/webhook`` (the web chat's and the tests' way in), hardened.

Rasa's own ``RestInput`` answers 500 to a body that is not a JSON object (``''``, ``[]``, ``"text"``), takes any
JSON type as sender, message or metadata, lets the client choose ``input_channel`` (and so the ``channel:``
response variations) and logs the user's text when a turn fails. This subclass, still named ``rest`` (same URL,
same ``input_channel``), answers 400 with ``{"error": ...}`` unless the body is a JSON object with

- ``sender``: a string of 1 to 128 printable characters,
- ``message``: a string (its length is bounded by the request size limit; the bot answers over-long text itself),
- ``metadata``: an object, or absent (``null`` counts as absent);

any other key is ignored and the input channel is always ``rest``. No user text is written to the log: neither
here nor in Rasa's warnings that quote it (``keep_user_text_out_of_logs``, installed when the server sets the
channel up).

A turn never answers with nothing: when it produced no message (the action server down, refusing or too slow, or
the turn failed), the answer is the polite fallback naming the general desk (bot/channels/unavailable.py), with
or without ``?stream=true``; the conversation's state is Rasa's, kept as it was.

A sender over the message limit (bot/sender_limits.py, thresholds in common/settings.py) gets 429 with ``Retry-After``
and, in the channel's usual reply shape, the polite ``utter_rate_limited`` (bot/channels/rate_limited.py); the model
does not run. The count is per sender, shared by all processes through Redis in production. When Rasa is reached
directly (no Redis configured: `make run`), clients are also counted per address (``RATE_LIMIT_ADDRESS_MESSAGES``),
since a client chooses its sender ids freely; in production nginx limits per address instead. A peer on loopback (a
proxy on this machine, the tests) is not counted, unless it is one of ``ASSISTANT_TRUSTED_PROXIES`` (addresses or
networks): then the client it names in ``X-Forwarded-For`` is (console/auth.py decides whom to believe).

While a person holds the conversation (a queued or connected handover), a message does not reach Rasa: it is
stored for staff and answered with the handover's state (bot/channels/hold.py), after the limits above. What
staff write comes back through ``GET /webhooks/rest/events`` (server-sent events, bot/channels/events.py). Each
process also runs the handover worker (bot/channels/handover_worker.py), which times out waiting users.

Rasa loads a channel it does not know by its module path, so the credentials files name it
``bot.channels.rest.RestInput:`` instead of ``rest:`` (``rasa.core.run._create_single_channel``).
"""
from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import re
import warnings
from asyncio import CancelledError, Queue
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple, Union

import rasa.utils.endpoints
from rasa.core.channels import rest
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.channels import handover_worker, rate_limited, unavailable
from bot.channels.events import EventStreams
from bot.channels.hold import Held, hold
from bot.channels.seen_events import SeenEvents
from bot.limits import stored_message
from bot.sender_limits import SenderLimiter, Verdict
from bot.shared_state import SharedRedis
from common.clients import visitor
from common.settings import Network, settings

logger = logging.getLogger(__name__)

MAX_SENDER = 128
# Rasa's warnings that quote what the user typed: a "/intent{...}" message it cannot parse (the whole line), and
# an intent or entity outside the domain (a name the user may have typed).
USER_TEXT_WARNINGS = r"(Failed to parse arguments in line|Parsed an (intent|entity)) "


class BadRequest(ValueError):
    """The request body is not a message this channel takes; the text says why (no user text in it)."""


def parse_body(body: bytes) -> Tuple[Text, Text, Optional[Dict[Text, Any]]]:
    """``(sender, message, metadata)`` from a request body; ``BadRequest`` if it is not a valid message."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the body is not a JSON object")
    sender, message, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER or not sender.isprintable():
        raise BadRequest(f"sender must be a string of 1 to {MAX_SENDER} printable characters")
    if not isinstance(message, str):
        raise BadRequest("message must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("metadata must be an object")
    return sender, stored_message(message), metadata


def keep_user_text_out_of_logs() -> None:
    """Drop Rasa's warnings that quote user text (they would be printed to the server's log). Called when the
    server sets the channel up, after Rasa has configured its own warning filters (which would take precedence)."""
    warnings.filterwarnings("ignore", message=USER_TEXT_WARNINGS)


def trusted_proxies(environ: Optional[Dict[Text, Text]] = None) -> Tuple[Network, ...]:
    """``ASSISTANT_TRUSTED_PROXIES``: the proxies whose ``X-Forwarded-For`` is believed (none by default)."""
    return settings(environ).assistant_trusted_proxies


def client_address(request: Request, trusted: Tuple[Network, ...]) -> Optional[Text]:
    """The address to count a request against, or None when it is not counted: a peer on loopback that is not a
    trusted proxy (everyone behind a local proxy would share it), or a client on loopback."""
    peer = getattr(request, "ip", None) or ""
    headers = getattr(request, "headers", None)
    header = (lambda name: ",".join(headers.getall(name, [])) or None) if headers is not None else (lambda _: None)
    try:
        address = ipaddress.ip_address(visitor(peer, False, header, trusted).address)
    except ValueError:
        return None
    return None if address.is_loopback else str(address)


class Limits:
    """The REST channel's message limits: per sender always, per client address when Rasa is reached directly."""

    def __init__(self) -> None:
        self.shared = SharedRedis()
        self.per_sender = SenderLimiter.per_sender(self.shared)
        per_address = settings().rate_limit_address_messages
        # With Redis the processes sit behind the production nginx, which limits per address (and is their only
        # peer, so every client would share one address here).
        self.per_address = (SenderLimiter(per_address, self.per_sender.window, None, "address")
                            if per_address and not self.shared.enabled else None)
        self.trusted = trusted_proxies()

    async def check(self, request: Request, sender: Text) -> Verdict:
        """Count this message; the first limit it is over, else an allowed verdict."""
        address = client_address(request, self.trusted) if self.per_address else None
        if self.per_address and address:
            verdict = await self.per_address.hit("rest", address)
            if not verdict.allowed:
                return verdict
        return await self.per_sender.hit("rest", sender)


async def refused(app: Any, sender: Text, verdict: Verdict) -> HTTPResponse:
    """429, ``Retry-After``, and the notice as the channel's usual reply (a list of messages)."""
    if verdict.first_refusal:  # once per sender and window: a flood does not flood the log too
        logger.warning("rest.rate_limited; %d messages in the window", verdict.count)
    collector = CollectingOutputChannel()
    message = await rate_limited.notice(app, sender, RestInput.name())
    if message is not None:
        await collector.send_response(sender, message)
    return response.json(collector.messages, status=429, headers={"Retry-After": str(verdict.retry_after)})


# nginx's $request_id (scripts/prod/nginx.conf.template): 32 hexadecimal digits, the same on every attempt nginx
# makes for one request. Anything else in the header is ignored.
REQUEST_ID = re.compile(r"[0-9a-f]{32}")
# How long a request id is remembered as started: far beyond nginx's proxy_next_upstream_timeout (60 s).
REQUEST_IDS_SECONDS = 600


def request_id_of(request: Request) -> Optional[Text]:
    value = (getattr(request, "headers", None) or {}).get("X-Request-ID") or ""
    return value if REQUEST_ID.fullmatch(value) else None


async def stored_answer(app: Any, sender: Text, message_id: Text) -> Optional[List[Dict[Text, Any]]]:
    """The answer the conversation already holds for the message ``message_id``, as this channel sends it; None
    when the conversation has no such message (its turn was never stored: it is to be run now).

    nginx resends a request whose Rasa process died before answering (a crash) to another process. The dead one
    may have stored the turn in the instant before: running it again would store the message twice, so the answer
    it stored is sent instead."""
    from rasa.shared.core.events import BotUttered, UserUttered

    agent = unavailable.agent_of(app)
    tracker = await agent.tracker_store.retrieve(sender) if agent is not None else None
    if tracker is None:
        return None
    events = list(tracker.events)
    start = next((i for i, e in enumerate(events) if isinstance(e, UserUttered) and e.message_id == message_id), None)
    if start is None:
        return None
    collector = CollectingOutputChannel()
    for event in events[start + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            await collector.send_response(sender, {"text": event.text, **(event.data or {})})
    await unavailable.answer_if_silent(app, collector, sender, bool(collector.messages))
    return collector.messages


def held_answer(sender: Text, held: Held, streaming: bool) -> HTTPResponse:
    """The held message's answer in the channel's usual shape: a JSON list of messages, or for ``?stream=true``
    one JSON message per line, as Rasa streams them."""
    messages = [{"recipient_id": sender, **reply} for reply in held.replies]
    if streaming:
        return response.text("".join(json.dumps(message) + "\n" for message in messages),
                             content_type="text/event-stream")
    return response.json(messages)


class CountingQueueOutputChannel(rest.QueueOutputChannel):
    """Rasa's collector for ``?stream=true``, counting what it streams (a queue cannot be looked into)."""

    def __init__(self, message_queue: Optional[Queue] = None) -> None:
        super().__init__(message_queue)
        self.sent = 0

    async def _persist_message(self, message: Dict[Text, Any]) -> None:
        self.sent += 1
        await super()._persist_message(message)


def said_something(output: OutputChannel) -> bool:
    if isinstance(output, CountingQueueOutputChannel):
        return output.sent > 0
    return bool(getattr(output, "messages", None))


def never_silent(on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Any
                 ) -> Callable[[UserMessage], Awaitable[None]]:
    """``on_new_message``, then the fallback if the turn said nothing; never raises (failures are logged)."""

    async def answer(message: UserMessage) -> None:
        try:
            await on_new_message(message)
        except CancelledError:  # the response timeout: answer what was said so far, as Rasa's channel does
            logger.error("rest.message.timeout")
        except Exception:
            logger.exception("rest.message.failed")
        await unavailable.answer_if_silent(app, message.output_channel, message.sender_id,
                                           said_something(message.output_channel))

    return answer


class RestInput(rest.RestInput):
    """Rasa's REST channel with a validated body, no user text in the log and no silent turn."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @staticmethod
    async def on_message_wrapper(on_new_message: Callable[[UserMessage], Awaitable[Any]], text: Text, queue: Queue,
                                 sender_id: Text, input_channel: Text, metadata: Optional[Dict[Text, Any]]) -> None:
        """Rasa's streaming turn, with a counting collector; the stream always ends (Rasa's waits forever when
        the turn raises)."""
        collector = CountingQueueOutputChannel(queue)
        try:
            await on_new_message(UserMessage(text, collector, sender_id, input_channel=input_channel,
                                             metadata=metadata))
        finally:
            await queue.put("DONE")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        keep_user_text_out_of_logs()
        message_limits = Limits()
        # Request ids seen (Redis in production, shared by the processes): a second attempt is a resend by nginx.
        started = SeenEvents(message_limits.shared, ttl=REQUEST_IDS_SECONDS, kind="rest-request")
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.listener("after_server_stop")
        async def close_shared_state(*_: Any) -> None:
            await message_limits.shared.close()

        EventStreams().add_route(webhook)
        handover_worker.run_with(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                sender, text, metadata = parse_body(request.body)
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)
            app = getattr(request, "app", None)
            streaming = rasa.utils.endpoints.bool_arg(request, "stream", default=False)
            message_id = None if streaming else request_id_of(request)
            if message_id and not await started.first_time(message_id):
                answered = await stored_answer(app, sender, message_id)
                if answered is not None:
                    return response.json(answered)
            verdict = await message_limits.check(request, sender)
            if not verdict.allowed:
                return await refused(app, sender, verdict)
            held = await hold(sender, text, key=message_id)
            if held is not None:
                return held_answer(sender, held, streaming)
            answer = never_silent(on_new_message, app)
            if streaming:
                return response.stream(self.stream_response(answer, text, sender, self.name(), metadata),
                                       content_type="text/event-stream")
            collector = CollectingOutputChannel()
            await answer(UserMessage(text, collector, sender, input_channel=self.name(), message_id=message_id,
                                     metadata=metadata))
            return response.json(collector.messages)

        return webhook
