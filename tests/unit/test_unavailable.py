"""Faults, without servers: a silent turn gets the polite fallback naming the general desk (bot/channels/unavailable.py)
on the REST and LINE channels, a hanging action server is a failed action after the bound, and a knowledge reload
while serving never gives an answer mixing the old and the new data (knowledge/loader.py).

The fallback is generated as the running server generates it: Rasa's NLG over the real domain.yml, the general desk
read from a store built by the real loader (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
import json
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

from bot import wiring
from bot.channels import unavailable
from bot.channels.line import LineInput
from bot.channels.rest import RestInput, never_silent
from knowledge import facts, query
from knowledge.db import session
from knowledge.loader import DATA_DIR, load
from tests.conftest import database_url
from tests.e2e.line_stub import LineApiStub
from tests.unit.test_line_channel import SECRET, TOKEN, calls_for, events

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
AGENT = SimpleNamespace(nlg=TemplatedNaturalLanguageGenerator(DOMAIN.responses), domain=DOMAIN)
APP = SimpleNamespace(ctx=SimpleNamespace(agent=AGENT))  # what Rasa's server is to a channel (app.ctx.agent)
BODY = json.dumps({"sender": "web-abc", "message": "後継ぎがいない"}).encode()


def fallback_text(db) -> str:
    """utter_service_unavailable as domain.yml words it, with the general desk from the store."""
    desk = query.general_desk(db)
    [variation] = DOMAIN.responses[unavailable.FALLBACK_RESPONSE]
    return variation["text"].format(desk=desk.name, phone=facts.desk_phone(desk.main_desk))


@pytest.fixture(autouse=True)
def connected(monkeypatch):
    """The channels given the general desk, as every Rasa process's entry point gives it (bot/wiring.py)."""
    monkeypatch.setattr(unavailable, "_general_desk_source", wiring.general_desk)


@pytest.fixture
def store(kb_url, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DB_URL", kb_url)
    return kb_url


def receive(on_new_message, app=APP, stream=False):
    """POST /webhooks/rest/webhook as Rasa mounts the channel; the answer's messages."""
    blueprint = RestInput().blueprint(on_new_message)
    handler = next(route.handler for route in blueprint._future_routes if route.uri == "/webhook")
    answer = asyncio.run(handler(SimpleNamespace(body=BODY, args={"stream": ["true"]} if stream else {}, app=app)))
    assert answer.status == 200
    return answer


async def says_nothing(message: UserMessage) -> None:
    """A turn whose action failed: Rasa logs it and sends nothing."""


async def fails(message: UserMessage) -> None:
    raise RuntimeError("the turn failed")


def test_the_domain_words_the_fallback_with_the_general_desk():
    [variation] = DOMAIN.responses[unavailable.FALLBACK_RESPONSE]
    assert "{desk}" in variation["text"] and "{phone}" in variation["text"]


@pytest.mark.parametrize("turn", [says_nothing, fails], ids=["silent", "raising"])
def test_a_rest_turn_that_says_nothing_gets_the_general_desk(store, db, turn):
    messages = json.loads(receive(turn).body)
    assert messages == [{"recipient_id": "web-abc", "text": fallback_text(db)}]


def test_a_rest_turn_that_answered_is_left_alone(store):
    async def answers(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "こんにちは")

    assert json.loads(receive(answers).body) == [{"recipient_id": "web-abc", "text": "こんにちは"}]


def test_a_streamed_turn_that_says_nothing_gets_the_general_desk_and_the_stream_ends(store, db):
    async def streamed(turn):
        queue: asyncio.Queue = asyncio.Queue()
        await asyncio.wait_for(RestInput.on_message_wrapper(never_silent(turn, APP), "後継ぎがいない", queue,
                                                            "web-abc", "rest", None), timeout=30)
        return [queue.get_nowait() for _ in range(queue.qsize())]

    for turn in (says_nothing, fails):
        assert asyncio.run(streamed(turn)) == [{"recipient_id": "web-abc", "text": fallback_text(db)}, "DONE"]


def test_without_the_store_the_fallback_is_the_internal_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DB_URL", f"sqlite:///{tmp_path / 'no' / 'such' / 'kb.db'}")
    [variation] = DOMAIN.responses[unavailable.LAST_RESORT_RESPONSE]
    assert json.loads(receive(says_nothing).body) == [{"recipient_id": "web-abc", "text": variation["text"]}]


def test_without_an_agent_nothing_can_be_said(store):
    assert json.loads(receive(says_nothing, app=SimpleNamespace(ctx=SimpleNamespace())).body) == []


def test_a_line_turn_that_says_nothing_gets_the_general_desk_in_its_one_reply(store, db):
    stub = LineApiStub()
    try:
        channel = LineInput(SECRET, TOKEN, stub.url)
        [event] = events(channel, "後継ぎがいない")

        async def handle():
            await channel._handle(event, says_nothing, APP)
            await channel.close()

        asyncio.run(handle())
        [reply] = calls_for(stub, "/v2/bot/message/reply", "replyToken", event.reply_token)
        assert reply["messages"] == [{"type": "text", "text": fallback_text(db)}]
    finally:
        stub.close()


# ---- a knowledge reload while serving ----------------------------------------------------------------------------

SECTION = 21
RELOADS = 40


def version(tmp_path: Path, name: str, phone: str, email: str, cost: str) -> Path:
    """A copy of the knowledge data with §21's phone, e-mail (its desk) and cost (its program row) changed."""
    data = tmp_path / name
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.py", "*.db", "__pycache__"))
    [path] = (data / "programs").glob(f"{SECTION:02d}_*.yml")
    program = yaml.safe_load(path.read_text(encoding="utf-8"))
    program["desks"][0].update(phone=phone, email=email)
    program["cost"]["text"] = cost
    path.write_text(yaml.safe_dump(program, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return data


def read_by_query(url: str) -> tuple:
    """The store's read path: one session, the program and its desk."""
    with session(url) as db:
        program = query.program(db, SECTION)
        return program.cost_text, program.main_desk.phone, program.main_desk.email


def read_by_action(url: str) -> tuple:
    """A whole action run (as the action server runs it): the card of its answer."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from bot.actions.question_actions import ActionAnswerField

    message = {"text": "メールアドレスは？", "intent": {"name": "ask_email", "confidence": 0.95}, "entities": [],
               "intent_ranking": [{"name": "ask_email", "confidence": 0.95}]}
    tracker = Tracker("reload", {"program": str(SECTION)}, message, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerField().run(dispatcher, tracker, {}))
    [card] = [m["custom"]["programs"][0] for m in dispatcher.messages if m.get("custom")]
    return card.get("cost"), card["phone"], card.get("email")


# SQLite: pysqlite opens no transaction for a SELECT, so each statement of a reader's session reads the latest commit
# and no loader can keep a reload out from between a reader's statements; knowledge/db.py must begin every session
# (one snapshot). Remove the mark with that change.
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_answers_during_reloads_come_from_the_old_or_the_new_data_never_a_mix(backend, tmp_path, monkeypatch):
    a = ("無料（版A）", "017-111-1111", "version-a@example.jp")
    b = ("無料（版B）", "017-222-2222", "version-b@example.jp")
    data = {a: version(tmp_path, "a", a[1], a[2], a[0]), b: version(tmp_path, "b", b[1], b[2], b[0])}
    with database_url(backend, tmp_path, "reload.db") as url:
        load(url, data[a])
        monkeypatch.setenv("KNOWLEDGE_DB_URL", url)
        monkeypatch.setenv("REVIEW_DB_URL", f"sqlite:///{tmp_path / 'review.db'}")
        read_by_action(url)  # the review log's tables, made before the race
        seen, errors, done = {}, [], threading.Event()

        def reloads():
            try:
                for i in range(RELOADS):
                    load(url, data[b if i % 2 == 0 else a])
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(f"reload: {error!r}")
            finally:
                done.set()

        def reads(read):
            while not done.is_set():
                try:
                    answer = read(url)
                except Exception as error:  # noqa: BLE001
                    errors.append(f"{read.__name__}: {error!r}")
                    continue
                seen[(read.__name__, answer)] = seen.get((read.__name__, answer), 0) + 1

        threads = [threading.Thread(target=reloads)] + [
            threading.Thread(target=reads, args=(read,)) for read in (read_by_query, read_by_query, read_by_action)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
    assert errors == []
    mixed = {key: count for key, count in seen.items() if key[1] not in (a, b)}
    assert mixed == {}, f"answers mixing the two versions: {mixed}"
    answers = {key[1] for key in seen}
    assert answers == {a, b}, f"the reads did not overlap the reloads: {seen}"  # the race was run
