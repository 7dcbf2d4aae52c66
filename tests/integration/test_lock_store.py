"""The lock store keeps a turn's ticket alive while the turn runs (Redis and in memory).

A ticket lives TICKET_LOCK_LIFETIME seconds, but a turn can take longer: during a database
restart the tracker store retries its read and its save for up to TRACKER_DB_RETRY_SECONDS
each. The conversation's next message must still wait for that turn, while a ticket left by a
server that died must still expire. No Rasa server is needed; Redis on 127.0.0.1:6379.
"""
import asyncio
import os
import time
import uuid

import pytest

from bot.storage.lock_store import EnvironmentLockStore

LIFETIME = 1.5  # seconds
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture(params=["in memory", "redis"])
def store(request, monkeypatch):
    if request.param == "redis":
        monkeypatch.setenv("LOCK_STORE_URL", REDIS_URL)
        monkeypatch.setenv("LOCK_STORE_PREFIX", "locktest" + uuid.uuid4().hex[:8])
    else:
        monkeypatch.delenv("LOCK_STORE_URL", raising=False)
    store = EnvironmentLockStore()
    yield store
    if request.param == "redis":
        for key in store.red.scan_iter(f"{store.key_prefix}*"):
            store.red.delete(key)


def test_a_turn_longer_than_the_ticket_lifetime_keeps_its_conversation(store):
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    inside = []
    overlaps = []

    async def turn(name, delay, duration):
        await asyncio.sleep(delay)
        async with store.lock(conversation, lock_lifetime=LIFETIME, wait_time_in_seconds=0.05):
            if inside:
                overlaps.append((name, list(inside)))
            inside.append(name)
            await asyncio.sleep(duration)
            inside.remove(name)

    async def scenario():
        # The first turn waits for the database for 2.7 lifetimes; the next message of the
        # same conversation comes in meanwhile.
        await asyncio.gather(turn("slow turn", 0, 4.0), turn("next message", 0.2, 0.1))

    asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    assert overlaps == []


def test_a_ticket_left_by_a_server_that_died_still_expires(store):
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    store.issue_ticket(conversation, LIFETIME)  # taken, never served, never kept alive

    async def next_message():
        started = time.monotonic()
        async with store.lock(conversation, lock_lifetime=LIFETIME, wait_time_in_seconds=0.05):
            return time.monotonic() - started

    # Rasa's own lock() let the waiting message's ticket expire as well: it then waited for
    # good, as now_serving never came round to it.
    waited = asyncio.run(asyncio.wait_for(next_message(), timeout=20))
    assert LIFETIME - 0.3 < waited < LIFETIME + 2
