"""The lock store against the stack's Redis: why Rasa's RedisLockStore is replaced between processes, and that
bot/lock_store.py's tickets stay unique and complete under contention."""
from __future__ import annotations

import threading
import uuid

from rasa.core.lock_store import RedisLockStore

from bot.lock_store import AtomicRedisLockStore
from tests.prod.conftest import PORTS


def store(stack, kind=AtomicRedisLockStore):
    return kind(host="127.0.0.1", port=PORTS["redis"], password=stack.redis_password, db=1, key_prefix="locktest")


def test_rasas_redis_lock_store_gives_one_ticket_to_two_processes(stack):
    """Rasa's issue_ticket is GET, then change in the process, then SET: another process in between is lost."""
    a, b = store(stack, RedisLockStore), store(stack, RedisLockStore)
    conversation = uuid.uuid4().hex
    read_by_a = a.get_or_create_lock(conversation)       # process A reads the lock (there is none yet)...
    ticket_b = b.issue_ticket(conversation)              # ...process B issues a ticket and saves the lock...
    ticket_a = read_by_a.issue_ticket(60)                # ...A issues from what it read, and saves over B's
    a.save_lock(read_by_a)
    assert ticket_a == ticket_b == 0                     # both are "now serving": two turns at once
    assert len(a.get_lock(conversation).tickets) == 1    # and one of the tickets is gone
    a.delete_lock(conversation)


def test_tickets_are_unique_and_complete_under_contention(stack):
    threads, per_thread = 8, 25
    conversation = uuid.uuid4().hex
    stores = [store(stack) for _ in range(threads)]  # one connection each, as separate processes have
    start = threading.Barrier(threads)
    issued = [[] for _ in range(threads)]

    def issue(index):
        start.wait()
        issued[index] = [stores[index].issue_ticket(conversation) for _ in range(per_thread)]

    def finish(index):
        start.wait()
        for ticket in issued[index]:
            stores[index].cleanup(conversation, ticket)

    for job in (issue, finish):
        workers = [threading.Thread(target=job, args=(index,)) for index in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        if job is issue:
            numbers = sorted(number for tickets in issued for number in tickets)
            assert numbers == list(range(threads * per_thread))
            assert [t.number for t in stores[0].get_lock(conversation).tickets] == numbers
    assert stores[0].get_lock(conversation) is None  # the last cleanup removed the lock


def test_a_lock_is_served_in_ticket_order(stack):
    a, b = store(stack), store(stack)
    conversation = uuid.uuid4().hex
    first, second = a.issue_ticket(conversation), b.issue_ticket(conversation)
    assert not a.get_lock(conversation).is_locked(first) and b.get_lock(conversation).is_locked(second)
    a.cleanup(conversation, first)
    assert not b.get_lock(conversation).is_locked(second)
    b.update_lock(conversation)  # a waiter's refresh does not bring back the finished ticket
    assert [t.number for t in b.get_lock(conversation).tickets] == [second]
    b.cleanup(conversation, second)
    assert b.get_lock(conversation) is None
