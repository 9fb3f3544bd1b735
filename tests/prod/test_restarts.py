"""A conversation over nginx keeps its context while each server restarts: the Rasa processes share it through
PostgreSQL (the tracker store), and the action server keeps nothing between calls."""
from __future__ import annotations

from knowledge import query
from tests.prod.conftest import Conversation


def test_a_conversation_survives_the_restart_of_every_server(stack, kb):
    succession = query.program(kb, 21)
    desk = succession.main_desk
    chat = Conversation(stack)

    def about_succession(turn, *, served_by=None):
        assert turn.sections == [21], turn
        assert turn.programs[0]["phone"] == desk.phone, turn
        if served_by:
            assert stack.upstreams(turn.probe)[-1] == served_by

    first = chat.say("後継者がいなくて困っています")
    about_succession(first)
    assert desk.phone in first.reply

    # rasa-1 crashes (SIGKILL): nginx sends the next message to rasa-2, which has never seen this conversation.
    stack.ctl("kill", "rasa-1")
    cost = chat.say("費用はかかりますか")
    about_succession(cost, served_by="rasa-2")
    assert f"費用：{succession.cost_text}" in cost.reply
    stack.ctl("start", "rasa-1")

    # rasa-2 stops cleanly: the restarted rasa-1 answers, from the conversation in PostgreSQL.
    stack.ctl("stop", "rasa-2")
    phone = chat.say("電話番号を教えてください")
    about_succession(phone, served_by="rasa-1")
    assert desk.phone in phone.reply
    stack.ctl("start", "rasa-2")

    # The action server crashes and comes back: nothing of the conversation lived there.
    stack.ctl("kill", "actions")
    stack.ctl("start", "actions")
    again = chat.say("費用はかかりますか")
    about_succession(again)
    assert f"費用：{succession.cost_text}" in again.reply

    # Both processes answer in turn (round robin), each from the shared conversation.
    later = [chat.say("電話番号を教えてください") for _ in range(2)]
    for turn in later:
        about_succession(turn)
        assert desk.phone in turn.reply
    assert {stack.upstreams(turn.probe)[-1] for turn in later} == {"rasa-1", "rasa-2"}

    # Every turn is in the tracker store once, in order.
    users = [e["text"] for e in stack.tracker(chat.sender)["events"] if e["event"] == "user"]
    assert users == ["後継者がいなくて困っています", "費用はかかりますか", "電話番号を教えてください", "費用はかかりますか",
                     "電話番号を教えてください", "電話番号を教えてください"]
