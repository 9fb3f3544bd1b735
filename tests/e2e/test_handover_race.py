"""Two staff members take the same conversation at the same moment: exactly one gets it (issue 19).

Over real HTTP, on the real console process: two clients, each with a logged-in session of its own (田中, 佐藤),
send their take requests released together by a barrier, for conversations a real user queued through the REST
channel while both were on duty. The store's conditional UPDATE is the one judge (its own concurrency is
tests/unit/test_handover_store.py ``test_of_two_staff_taking_at_once_exactly_one_gets_it``; two console apps in one
process, over ASGI, are tests/unit/test_console_handover.py's); here it is the server as deployed: a Sanic process,
its thread pool, its sessions, and the user told once, by the winner's name.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from handover import contract
from tests.e2e.handover_site import STAFF, StaffClient, end_active, handover_of, queued_by_rest

ROUNDS = 4  # each a new conversation: who wins may differ from round to round, the outcome may not


def test_two_staff_taking_the_same_conversation_at_once_exactly_one_gets_it(staffed_site):
    site = staffed_site
    clients = {login: StaffClient(site, login) for login in STAFF}
    users = []
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for _ in range(ROUNDS):
                user = queued_by_rest(site, clients["tanaka"])
                users.append(user)
                handover = site.store().active(user.sender)
                path = f"/api/handovers/{handover.id}/take"
                barrier = threading.Barrier(2)

                def take(login: str, path: str = path, barrier: threading.Barrier = barrier):
                    barrier.wait(timeout=30)
                    return login, clients[login].post(path)

                answers = dict(future.result(90) for future in [pool.submit(take, login) for login in STAFF])
                statuses = sorted(answer.status_code for answer in answers.values())
                assert statuses == [200, 409], {login: a.text for login, a in answers.items()}
                winner = next(login for login, a in answers.items() if a.status_code == 200)
                loser = next(login for login in STAFF if login != winner)
                won = answers[winner].json()["handover"]
                assert won["holder"] == {"login": winner, "name": STAFF[winner]} and won["mine"] is True
                assert answers[loser].json()["error"] == f"この会話は、すでに{STAFF[winner]}さんが対応しています。"

                stored = site.store().get(handover.id)
                assert stored.state == "connected" and stored.taken_by == winner
                told = [m for m in site.store().messages(handover.id) if m.author == "system"]
                assert [m.custom for m in told] == [contract.custom(contract.connected(STAFF[winner]))]
                # the user is told one name: the winner's, in the answer to their next message too
                assert handover_of(user.say("よろしくお願いします")) == contract.connected(STAFF[winner])
                # the loser cannot write in it nor hand it back; the winner can
                for path_, body in ((f"/api/handovers/{handover.id}/messages", {"text": "横から失礼します"}),
                                    (f"/api/handovers/{handover.id}/end", {})):
                    refused = clients[loser].post(path_, body)
                    assert refused.status_code == 403 and f"{STAFF[winner]}さんが対応中です" in refused.json()["error"]
                assert clients[winner].post(f"/api/handovers/{handover.id}/end").status_code == 200
                assert [m.author for m in site.store().messages(handover.id)] == ["system", "user", "system"]
    finally:
        for user in users:
            end_active(site, user.sender)
        for client in clients.values():
            client.close()
