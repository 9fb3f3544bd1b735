"""The held-reply check (tests/held_replies.py) on the real assistant: it reads the running Rasa server's trackers
over its HTTP API as the session's teardown does, finds no reply in a held interval when the hold layer did its
job, and does find the replies when the interval covers turns the assistant answered. On the way, a queued user
leaves the queue with a cancel word (bot/channels/hold.py) and the assistant answers the next message.

The handover is queued through the store on the assistant's review log (as action_request_human does), so the test
does not depend on the clock being within staffed hours."""
from __future__ import annotations

import requests

from handover import contract
from handover.store import HandoverStore
from tests import held_replies
from tests.e2e.conftest import RASA_API_TOKEN


def post(assistant: str, sender: str, text: str) -> list:
    answer = requests.post(f"{assistant}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_check_reads_the_assistants_trackers_and_a_cancel_word_ends_the_wait(assistant, review_log_url, chat):
    store = HandoverStore(review_log_url)
    assert chat.say("事業承継の相談をしたい").sections  # the assistant answers
    handover = store.request(chat.sender, "rest", focus=21)
    waiting = post(assistant, chat.sender, "まだですか")
    assert [m["custom"]["handover"]["state"] for m in waiting] == ["queued"]
    left = post(assistant, chat.sender, "キャンセル")
    assert left == [{"recipient_id": chat.sender, "text": contract.LEFT_QUEUE_TEXT,
                     "custom": {"handover": {"state": "ended"}}}]
    assert store.get(handover.id).outcome == "user_left"
    assert chat.say("費用は？").text  # the assistant again, about the program in focus

    events = held_replies.events_over_http(assistant, RASA_API_TOKEN)(chat.sender)
    said = [e.get("text") for e in events if e.get("event") == "user"]
    assert "まだですか" not in said and "キャンセル" not in said and "費用は？" in said  # held: Rasa never saw them
    mine = [hold for hold in held_replies.holds(review_log_url) if hold.sender == chat.sender]
    assert [(hold.handover, hold.end is not None) for hold in mine] == [(handover.id, True)]
    assert held_replies.replies_while_held(events, mine) == []
    # The same conversation as if a person had held it since before its first message: every answer counts.
    answers = [e for e in events if e.get("event") == "bot"]
    forged = [held_replies.Hold(handover=0, sender=chat.sender, start=mine[0].start - 3600, end=None)]
    assert len(held_replies.replies_while_held(events, forged)) == len(answers) >= 2
