"""The hardened REST channel (bot/channels/rest.py): which bodies it takes, what it hands Rasa, what it logs."""
from __future__ import annotations

import asyncio
import json
import logging
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.channels.rest import MAX_SENDER, BadRequest, RestInput, keep_user_text_out_of_logs, parse_body

ROOT = Path(__file__).resolve().parents[2]
MARKER = "zqmarker7431"


def receive_handler(on_new_message):
    """The channel's POST /webhook handler, as Rasa would mount it."""
    blueprint = RestInput().blueprint(on_new_message)
    return next(route.handler for route in blueprint._future_routes if route.uri == "/webhook")


def call(handler, body: bytes):
    return asyncio.run(handler(SimpleNamespace(body=body, args={})))


VALID = {"sender": "web-abc", "message": "後継ぎがいない"}


@pytest.mark.parametrize("body, problem", [
    (b"", "not JSON"),
    (b"{", "not JSON"),
    (b"\xff\xfe\x00", "not JSON"),
    (b"[" * 70_000, "not JSON"),  # nested too deep for the parser
    (b"[]", "not a JSON object"),
    (b'"text"', "not a JSON object"),
    (b"null", "not a JSON object"),
    (json.dumps({"message": "x"}).encode(), "sender"),
    (json.dumps({"sender": 5, "message": "x"}).encode(), "sender"),
    (json.dumps({"sender": "", "message": "x"}).encode(), "sender"),
    (json.dumps({"sender": "s" * (MAX_SENDER + 1), "message": "x"}).encode(), "sender"),
    (json.dumps({"sender": "a\nb", "message": "x"}).encode(), "sender"),
    (json.dumps({"sender": "s"}).encode(), "message"),
    (json.dumps({"sender": "s", "message": 5}).encode(), "message"),
    (json.dumps({"sender": "s", "message": ["x"]}).encode(), "message"),
    (json.dumps({"sender": "s", "message": "x", "metadata": "m"}).encode(), "metadata"),
    (json.dumps({"sender": "s", "message": "x", "metadata": []}).encode(), "metadata"),
])
def test_a_malformed_body_is_refused_with_the_reason(body, problem):
    with pytest.raises(BadRequest, match=problem):
        parse_body(body)


def test_a_valid_body_gives_sender_message_and_metadata():
    assert parse_body(json.dumps(VALID).encode()) == ("web-abc", "後継ぎがいない", None)
    assert parse_body(json.dumps({**VALID, "sender": "s" * MAX_SENDER, "message": ""}).encode())[:2] == (
        "s" * MAX_SENDER, "")
    assert parse_body(json.dumps({**VALID, "metadata": {"k": 1}}).encode())[2] == {"k": 1}
    assert parse_body(json.dumps({**VALID, "metadata": None}).encode())[2] is None


def test_credentials_files_name_the_hardened_channel_which_rasa_loads_as_rest():
    from rasa.core.run import create_http_input_channels

    for name in ("credentials.yml", "credentials-line.yml", "credentials-line-stub.yml"):
        text = (ROOT / name).read_text()
        assert "\nbot.channels.rest.RestInput:" in text and "\nrest:" not in text, name
    (channel,) = create_http_input_channels(None, str(ROOT / "credentials.yml"))
    assert type(channel) is RestInput and channel.name() == "rest" and channel.url_prefix() == "rest"


def test_a_bad_body_gets_400_with_a_json_error_and_rasa_is_not_called():
    received = []

    async def on_new_message(message):
        received.append(message)

    answer = call(receive_handler(on_new_message), b"[]")
    assert answer.status == 400 and json.loads(answer.body) == {"error": "the body is not a JSON object"}
    assert received == []


def test_a_message_reaches_rasa_from_the_rest_channel_whatever_the_body_claims():
    received = []

    async def on_new_message(message):
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "こんにちは")

    body = {**VALID, "metadata": {"page": "demo"}, "input_channel": "line"}
    answer = call(receive_handler(on_new_message), json.dumps(body).encode())
    assert answer.status == 200 and json.loads(answer.body) == [{"recipient_id": "web-abc", "text": "こんにちは"}]
    (message,) = received
    assert (message.sender_id, message.text, message.metadata) == ("web-abc", "後継ぎがいない", {"page": "demo"})
    assert message.input_channel == "rest"  # not the client's "line": no other channel's response variations


def test_a_failed_turn_is_logged_without_the_users_text(caplog):
    async def on_new_message(message):
        raise RuntimeError("the dialogue failed")

    with caplog.at_level(logging.DEBUG):
        answer = call(receive_handler(on_new_message), json.dumps({**VALID, "message": MARKER}).encode())
    assert answer.status == 200 and json.loads(answer.body) == []
    assert "rest.message.failed" in caplog.text and MARKER not in caplog.text


def test_rasas_warnings_that_quote_user_text_are_dropped_after_rasas_own_filters():
    from rasa.shared.utils.io import raise_warning

    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("once", category=UserWarning)  # what Rasa's CLI sets before the channel loads
        keep_user_text_out_of_logs()
        raise_warning(f"Failed to parse arguments in line '/{MARKER}'. Expected the intent to be one of [...]")
        raise_warning(f"Parsed an intent '{MARKER}' which is not defined in the domain.")
        raise_warning(f"Parsed an entity '{MARKER}' which is not defined in the domain.")
        raise_warning("Some other warning")
    assert [str(w.message) for w in caught] == ["Some other warning"]


def test_a_message_longer_than_the_limit_is_cut_just_past_it():
    from bot.channels.rest import parse_body
    from bot.limits import MAX_MESSAGE_CHARS

    _, message, _ = parse_body(json.dumps({"sender": "s", "message": "  " + "あ" * 50_000}).encode())
    assert len(message) == MAX_MESSAGE_CHARS + 1  # still too long for the input guard, which says so
    _, short, _ = parse_body(json.dumps({"sender": "s", "message": " 後継ぎがいない "}).encode())
    assert short == " 後継ぎがいない "
