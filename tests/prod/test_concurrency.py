"""Many messages at once to one conversation, spread by nginx over both Rasa processes: the lock store (Redis)
serialises them, so the tracker store (PostgreSQL) holds each message exactly once, each followed by its own
replies, in the order the turns were served."""
from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from eval import cases
from tests.prod.conftest import Conversation, Turn

BURST = 20
ROUNDS = 3  # each on a conversation of its own: more chances for a race to show


def first_messages():
    """One first message per program (the conversation matrix's, never trained on): 20 different texts."""
    entries = cases.matrix()["entries"]
    texts = [entries[section][0] for section in sorted(entries)][:BURST]
    assert len(set(texts)) == BURST
    return texts


def send_all_at_once(chat: Conversation, texts):
    start = threading.Barrier(len(texts))
    results = {}

    def send(text):
        start.wait()
        try:
            results[text] = chat.say(text)
        except (AssertionError, requests.RequestException) as error:
            results[text] = error

    with ThreadPoolExecutor(len(texts)) as pool:
        list(pool.map(send, texts))
    return results


def stored_events(stack, sender):
    """The conversation's rows in the tracker store, in the order they were written."""
    engine = create_engine(stack.tracker_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id"),
                                      {"sender": sender}).all()
    finally:
        engine.dispose()
    return [json.loads(row.data) for row in rows]


def split_turns(events):
    """Events before the first user message, and one list per user message: the message and what followed it."""
    head, turns = [], []
    for event in events:
        if event["event"] == "user":
            turns.append([event])
        elif turns:
            turns[-1].append(event)
        else:
            head.append(event)
    return head, turns


def replied_texts(turn):
    """The texts the REST channel sent for a turn's bot events (it sends each paragraph as a message of its own)."""
    return [part for event in turn if event["event"] == "bot" and event.get("text")
            for part in event["text"].strip().split("\n\n")]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_burst_to_one_conversation_is_served_one_message_at_a_time(stack, round_):
    texts = first_messages()
    chat = Conversation(stack, sender=f"burst-{round_}-{uuid.uuid4().hex[:8]}")
    results = send_all_at_once(chat, texts)
    failed = {text: result for text, result in results.items() if not isinstance(result, Turn)}
    assert not failed, f"{len(failed)} of {BURST} messages failed: {failed}\n{stack.logs()}"
    turns = list(results.values())

    # nginx spread the burst over both processes.
    assert {stack.upstreams(turn.probe)[-1] for turn in turns} == {"rasa-1", "rasa-2"}

    events = stored_events(stack, chat.sender)
    assert events == stack.tracker(chat.sender)["events"]  # what Rasa serves is what is stored, nothing more
    head, stored_turns = split_turns(events)
    assert [e.get("name") or e["event"] for e in head] == ["action_session_start", "session_started", "action_listen"]

    # Each message exactly once: nothing lost, nothing duplicated.
    stored_texts = [turn[0]["text"] for turn in stored_turns]
    assert Counter(stored_texts) == Counter(texts), Counter(stored_texts) - Counter(texts)

    # Each message followed by its own replies (the ones its request received) and the end of its turn, never by
    # another message: the turns did not overlap.
    for turn in stored_turns:
        message = turn[0]["text"]
        assert turn[-1]["event"] == "action" and turn[-1]["name"] == "action_listen", turn
        assert [e for e in turn[1:-1] if e["event"] == "action" and e["name"] == "action_listen"] == [], turn
        assert replied_texts(turn) == results[message].texts

    # In the order the lock served them: the stored order is the order in which the requests were answered, and the
    # events were written in the order they happened.
    answered = [turn.text for turn in sorted(turns, key=lambda turn: turn.answered_at)]
    assert stored_texts == answered
    stamps = [event["timestamp"] for event in events]
    assert stamps == sorted(stamps)
