"""A message sent again with the same request id (nginx resending after a crash, scripts/prod/nginx.conf.template)
gets the answer already stored for it: the turn is not run, nor stored, twice."""
from __future__ import annotations

import uuid

import requests

from knowledge import query
from tests.e2e.conftest import RASA_API_TOKEN, Reply


def post(assistant: str, sender: str, text: str, request_id: str) -> Reply:
    response = requests.post(f"{assistant}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                             headers={"X-Request-ID": request_id}, timeout=60)
    assert response.status_code == 200, response.text
    return Reply(response.json())


def user_texts(assistant: str, sender: str) -> list:
    tracker = requests.get(f"{assistant}/conversations/{sender}/tracker", params={"token": RASA_API_TOKEN},
                           timeout=30).json()
    return [(e["text"], e.get("message_id")) for e in tracker["events"] if e["event"] == "user"]


def test_a_resent_request_gets_the_stored_answer_and_is_stored_once(assistant, kb):
    sender = f"test-{uuid.uuid4().hex[:10]}"
    first_id, second_id = uuid.uuid4().hex, uuid.uuid4().hex
    succession = query.program(kb, 21)

    first = post(assistant, sender, "後継者がいなくて困っています", first_id)
    assert first.sections == [21] and succession.main_desk.phone in first.text
    cost = post(assistant, sender, "費用はかかりますか", second_id)
    again = post(assistant, sender, "費用はかかりますか", second_id)  # the resend

    assert again.messages == cost.messages
    assert f"費用：{succession.cost_text}" in again.text
    assert user_texts(assistant, sender) == [("後継者がいなくて困っています", first_id), ("費用はかかりますか", second_id)]


def test_another_request_id_or_none_is_a_new_message(assistant):
    sender = f"test-{uuid.uuid4().hex[:10]}"
    post(assistant, sender, "後継者がいなくて困っています", uuid.uuid4().hex)
    post(assistant, sender, "費用はかかりますか", uuid.uuid4().hex)
    post(assistant, sender, "費用はかかりますか", "not-a-request-id")  # not nginx's: ignored, a message of its own
    assert [text for text, _ in user_texts(assistant, sender)] == [
        "後継者がいなくて困っています", "費用はかかりますか", "費用はかかりますか"]
