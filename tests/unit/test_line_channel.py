"""The LINE channel as Rasa channels are built: its output channel's name picks `channel: line` responses, one turn is
one Reply API call, one API client serves every event, and the committed credentials files are expanded by Rasa.

Against the local LINE API stub (tests/e2e/line_stub.py); no Rasa server or model is needed."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.exceptions import RasaException

from bot.channels.line import LineInput, LineOutput
from bot.channels.line_render import render
from tests.e2e.line_stub import LineApiStub

ROOT = Path(__file__).resolve().parents[2]
SECRET, TOKEN = "unit-channel-secret", "unit-access-token"
REPLY, PUSH = "/v2/bot/message/reply", "/v2/bot/message/push"
PROGRAM = {"section": 21, "slug": "business-succession", "name": "事業承継", "desk": "窓口", "phone": "017-000-0000"}


@pytest.fixture(scope="module")
def stub():
    api = LineApiStub()
    yield api
    api.close()


@pytest.fixture
def channel(stub):
    return LineInput(SECRET, TOKEN, stub.url)


def events(channel: LineInput, *texts: str) -> list:
    """Webhook events as LINE signs them, parsed by the channel's own parser."""
    body = json.dumps({"destination": "U0", "events": [
        {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
         "source": {"type": "user", "userId": "U" + uuid.uuid4().hex}, "webhookEventId": uuid.uuid4().hex[:26],
         "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex,
         "message": {"type": "text", "id": uuid.uuid4().hex[:12], "quoteToken": "q", "text": text}}
        for text in texts]})
    signature = base64.b64encode(hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    return channel.parser.parse(body, signature)


def calls_for(stub: LineApiStub, path: str, key: str, value: str) -> list:
    return [c["body"] for c in stub.sent(path) if c["body"].get(key) == value]


# ---- the output channel is Rasa's, named "line" -------------------------------------------------------------------

def test_output_channel_is_named_line_so_rasa_chooses_line_responses():
    from rasa.core.actions.action import ActionBotResponse
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    assert LineOutput.name() == "line" == LineInput.name()
    responses = {"utter_hello": [{"text": "どの画面でも"}, {"text": "LINEでは", "channel": "line"}]}
    domain = Domain.from_dict({"responses": responses})
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    tracker = DialogueStateTracker("U1", [])

    async def uttered(output_channel):
        [event] = await ActionBotResponse("utter_hello").run(output_channel, nlg, tracker, domain)
        return event.text

    assert asyncio.run(uttered(LineOutput(None, turn=True))) == "LINEでは"
    assert asyncio.run(uttered(CollectingOutputChannel())) == "どの画面でも"  # what the channel used before


def test_a_turn_is_a_line_user_message_and_one_reply_call(channel, stub):
    [event] = events(channel, "後継者がいない")
    received = []

    async def on_new_message(message: UserMessage):
        received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": "一つめ\n\n二つめ"})
        await message.output_channel.send_response(message.sender_id, {
            "text": "どれですか", "buttons": [{"title": "事業承継", "payload": "/x"}], "custom": {"programs": []}})
        await message.output_channel.send_response(message.sender_id, {"custom": {"programs": [PROGRAM]}})

    async def turn():
        await channel._handle(event, on_new_message)
        await channel.close()

    asyncio.run(turn())
    [message] = received
    assert message.input_channel == "line" and isinstance(message.output_channel, LineOutput)
    assert message.sender_id == event.source.user_id
    [reply] = calls_for(stub, REPLY, "replyToken", event.reply_token)
    assert [m["type"] for m in reply["messages"]] == ["text", "flex"]
    assert reply["messages"][0]["text"] == "一つめ\n\n二つめ\n\nどれですか"
    assert "017-000-0000" in reply["messages"][1]["altText"] and reply["messages"][1]["quickReply"]["items"]
    assert not calls_for(stub, PUSH, "to", event.source.user_id)


def test_one_api_client_serves_every_event_and_closes_on_stop(channel, stub):
    first, second = events(channel, "一つめ", "二つめ")
    clients = []

    async def on_new_message(message: UserMessage):
        clients.append(channel.line_api.client)
        await message.output_channel.send_response(message.sender_id, {"text": "はい"})

    async def two_events():
        await channel._handle(first, on_new_message)
        await channel._handle(second, on_new_message)
        session = channel.line_api.client.rest_client.pool_manager
        await channel.close()
        return session

    before = len(stub.calls)
    session = asyncio.run(two_events())
    assert len(clients) == 2 and clients[0] is clients[1] is not None
    mine = stub.calls[before:]
    assert len(mine) == 4  # loading + reply, twice
    assert len({c["connection"] for c in mine}) == 1  # a client per event would open a connection per event
    assert session.closed and channel.line_api.client is None


def test_server_stop_closes_the_client(channel):
    """The blueprint's after_server_stop listener, on a real Sanic server."""
    from sanic import Sanic

    async def serve():
        app = Sanic(f"line_unit_{uuid.uuid4().hex[:8]}")
        app.blueprint(channel.blueprint(lambda message: asyncio.sleep(0)), url_prefix="/webhooks/line")
        server = await app.create_server(host="127.0.0.1", port=0, return_asyncio_server=True)
        await server.startup()
        await server.before_start()
        await server.after_start()
        channel.line_api.api()  # as the first event would
        session = channel.line_api.client.rest_client.pool_manager
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        return session

    assert asyncio.run(serve()).closed and channel.line_api.client is None


def test_proactive_messages_are_pushed(channel, stub):
    """Rasa's trigger_intent?output_channel=line asks the input channel for an output channel."""
    output = channel.get_output_channel()
    someone = "U" + uuid.uuid4().hex

    async def push():
        await output.send_response(someone, {"text": "お知らせです", "custom": {"programs": [PROGRAM]}})
        await output.send_response(someone, {"custom": {"programs": []}})  # nothing to say: nothing sent
        await channel.close()

    assert isinstance(output, LineOutput) and output.name() == "line"
    asyncio.run(push())
    [pushed] = calls_for(stub, PUSH, "to", someone)
    assert [m["type"] for m in pushed["messages"]] == ["text", "flex"]


def test_expired_reply_token_falls_back_to_one_push(channel, stub):
    [event] = events(channel, "特許")
    stub.expired_tokens.add(event.reply_token)

    async def on_new_message(message: UserMessage):
        await message.output_channel.send_response(message.sender_id, {"text": "はい"})

    async def turn():
        await channel._handle(event, on_new_message)
        await channel.close()

    asyncio.run(turn())
    assert len(calls_for(stub, REPLY, "replyToken", event.reply_token)) == 1
    [pushed] = calls_for(stub, PUSH, "to", event.source.user_id)
    assert pushed["messages"] == [{"type": "text", "text": "はい"}]


# ---- the reply contract ---------------------------------------------------------------------------------------------

def test_empty_or_missing_programs_send_nothing_and_the_first_non_empty_one_is_drawn():
    assert render([{"custom": {"programs": []}}]) == []
    assert render([{"custom": {}}, {"custom": {"other": 1}}, {"text": ""}]) == []
    other = dict(PROGRAM, section=9, name="知的財産", phone="017-111-1111")
    messages = render([{"text": "こちらです"}, {"custom": {"programs": []}}, {"custom": {"programs": [PROGRAM]}},
                       {"custom": {"programs": [other]}}])
    assert [m.type for m in messages] == ["text", "flex"]
    assert "017-000-0000" in messages[1].alt_text and "017-111-1111" not in messages[1].alt_text


def test_a_turn_with_only_an_empty_programs_payload_sends_nothing(channel, stub):
    [event] = events(channel, "なにか")

    async def on_new_message(message: UserMessage):
        await message.output_channel.send_response(message.sender_id, {"custom": {"programs": []}})

    async def turn():
        await channel._handle(event, on_new_message)
        await channel.close()

    asyncio.run(turn())
    assert not calls_for(stub, REPLY, "replyToken", event.reply_token)
    assert not calls_for(stub, PUSH, "to", event.source.user_id)


# ---- credentials: ${VAR} in the committed files, expanded by Rasa --------------------------------------------------

@pytest.fixture
def line_env(monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "secret-from-env")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "token-from-env")
    monkeypatch.delenv("LINE_API_BASE_URL", raising=False)
    return monkeypatch


def test_credentials_file_is_expanded_by_rasa_from_the_environment(line_env):
    from rasa.core.channels.rest import RestInput
    from rasa.core.run import create_http_input_channels
    from rasa.shared.utils.io import read_config_file

    assert read_config_file(ROOT / "credentials-line.yml")["bot.channels.line.LineInput"] == {
        "channel_secret": "secret-from-env", "access_token": "token-from-env"}
    rest, line = create_http_input_channels(None, str(ROOT / "credentials-line.yml"))  # what `rasa run` does
    assert isinstance(rest, RestInput) and isinstance(line, LineInput)
    assert line.access_token == "token-from-env" and line.api_base_url is None  # LINE's own hosts
    body = '{"destination":"U0","events":[]}'
    signature = base64.b64encode(hmac.new(b"secret-from-env", body.encode(), hashlib.sha256).digest()).decode()
    assert line.parser.parse(body, signature) == []  # the secret is the environment's


def test_stub_credentials_add_only_the_api_host_which_rasa_requires(line_env):
    from rasa.shared.utils.io import read_config_file

    with pytest.raises(RasaException, match="LINE_API_BASE_URL"):  # an unset ${VAR}: Rasa refuses to start
        read_config_file(ROOT / "credentials-line-stub.yml")
    line_env.setenv("LINE_API_BASE_URL", "http://127.0.0.1:9")
    stub_credentials = read_config_file(ROOT / "credentials-line-stub.yml")
    line = LineInput.from_credentials(stub_credentials["bot.channels.line.LineInput"])
    assert line.api_base_url == "http://127.0.0.1:9" and line.access_token == "token-from-env"
    assert stub_credentials["bot.channels.line.LineInput"].pop("api_base_url") == "http://127.0.0.1:9"
    assert stub_credentials == read_config_file(ROOT / "credentials-line.yml")  # otherwise the same (REST too)


def test_secrets_come_only_from_the_credentials_not_the_environment(line_env):
    with pytest.raises(RasaException):
        LineInput.from_credentials(None)
    with pytest.raises(RasaException, match="unquoted"):  # a quoted "${VAR}" reaches the channel unexpanded
        LineInput.from_credentials({"channel_secret": "${LINE_CHANNEL_SECRET}", "access_token": "t"})
