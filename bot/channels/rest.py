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

Rasa loads a channel it does not know by its module path, so the credentials files name it
``bot.channels.rest.RestInput:`` instead of ``rest:`` (``rasa.core.run._create_single_channel``).
"""
from __future__ import annotations

import inspect
import json
import logging
import warnings
from asyncio import CancelledError, Queue
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple, Union

import rasa.utils.endpoints
from rasa.core.channels import rest
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from bot.channels import unavailable
from bot.limits import stored_message

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
        unavailable.bound_action_calls()
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                sender, text, metadata = parse_body(request.body)
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)
            answer = never_silent(on_new_message, getattr(request, "app", None))
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(self.stream_response(answer, text, sender, self.name(), metadata),
                                       content_type="text/event-stream")
            collector = CollectingOutputChannel()
            await answer(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            return response.json(collector.messages)

        return webhook
