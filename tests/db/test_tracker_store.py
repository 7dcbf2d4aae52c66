"""The SQL tracker store with conversations kept in memory, on SQLite and PostgreSQL.

What a server keeps in memory must never be staler than the database: another server's turn,
a turn that failed half-way, an erasure or a purge all make it read the database again.
"""
import asyncio
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)

from bot.storage.erasure import ALL_ERASED, ERASE_ACTION, NOTHING_ERASED, RECORDS_ONLY
from bot.storage.resilient_tracker_store import ResilientSQLTrackerStore
from bot.storage.tracker_store import ErasableSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).parents[2] / "domain.yml"))


def run(coroutine):
    return asyncio.run(coroutine)


def make_store(db_url, cls=ErasableSQLTrackerStore):
    dialect = db_url.split(":")[0].split("+")[0]
    return cls(domain=DOMAIN, dialect=dialect, host=db_url, db=db_url.rsplit("/", 1)[-1])


def turn(text, *slots):
    """One user turn: the message, then the bot's action and slot events, then listening."""
    return [UserUttered(text, {"name": "report_symptom", "confidence": 1.0}),
            *[SlotSet(name, value) for name, value in slots],
            ActionExecuted("utter_ask_em_cauda_equina"), ActionExecuted("action_listen")]


def told(response):
    """A reply of a custom action, as Rasa logs it (the response's name in its metadata)."""
    return BotUttered("...", metadata={"utter_action": response})


def new_conversation(store, sender):
    tracker = run(store.get_or_create_tracker(sender, append_action_listen=False))
    tracker.update_with_events([SessionStarted(), ActionExecuted("action_listen")], DOMAIN)
    return tracker


def texts(tracker):
    return [event.text for event in tracker.events if isinstance(event, UserUttered)]


def stored_rows(store, sender):
    with store.session_scope() as session:
        return session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).count()


@pytest.fixture
def store(db_url):
    store = make_store(db_url)
    yield store
    store.engine.dispose()


def test_the_next_message_uses_the_kept_conversation_and_stores_each_event_once(store):
    tracker = new_conversation(store, "a")
    tracker.update_with_events(turn("my back hurts", ("flags", ["both_legs"])), DOMAIN)
    run(store.save(tracker))
    again = run(store.retrieve("a"))
    assert again is tracker  # no reading and replaying of the events
    again.update_with_events(turn("no"), DOMAIN)
    run(store.save(again))
    assert stored_rows(store, "a") == len(again.events)
    fresh = run(make_store_like(store).retrieve("a"))  # what another server reads
    assert [e.as_dict() for e in fresh.events] == [e.as_dict() for e in again.events]
    assert fresh.get_slot("flags") == ["both_legs"]


def make_store_like(store):
    url = store.engine.url.render_as_string(hide_password=False)
    return make_store(url)


def test_a_turn_stored_by_another_server_is_read_from_the_database(store):
    tracker = new_conversation(store, "b")
    tracker.update_with_events(turn("my back hurts"), DOMAIN)
    run(store.save(tracker))
    other = make_store_like(store)
    theirs = run(other.retrieve("b"))
    theirs.update_with_events(turn("tingling in both legs", ("flags", ["both_legs"])), DOMAIN)
    run(other.save(theirs))
    ours = run(store.retrieve("b"))
    assert ours is not tracker
    assert texts(ours) == ["my back hurts", "tingling in both legs"]
    assert ours.get_slot("flags") == ["both_legs"]
    ours.update_with_events(turn("no"), DOMAIN)
    run(store.save(ours))
    assert stored_rows(store, "b") == len(ours.events)  # nothing lost, nothing twice


def test_a_turn_that_failed_half_way_is_not_kept(store):
    tracker = new_conversation(store, "c")
    tracker.update_with_events(turn("my back hurts"), DOMAIN)
    run(store.save(tracker))
    tracker.update_with_events(turn("never saved", ("severity", "severe")), DOMAIN)
    again = run(store.retrieve("c"))
    assert again is not tracker
    assert texts(again) == ["my back hurts"] and again.get_slot("severity") is None


def test_an_erased_or_purged_conversation_is_gone_from_memory_too(store):
    tracker = new_conversation(store, "d")
    tracker.update_with_events(turn("my back hurts"), DOMAIN)
    run(store.save(tracker))
    tracker.update_with_events([UserUttered("delete my data"), ActionExecuted(ERASE_ACTION),
                                told(ALL_ERASED)], DOMAIN)
    run(store.save(tracker))
    assert run(store.retrieve("d")) is None
    assert stored_rows(store, "d") == 0

    tracker = new_conversation(store, "e")
    tracker.update_with_events(turn("my back hurts"), DOMAIN)
    run(store.save(tracker))
    with store.session_scope() as session:  # python -m bot purge, from another process
        session.execute(sa.delete(store.SQLEvent).where(store.SQLEvent.sender_id == "e"))
        session.commit()
    assert run(store.retrieve("e")) is None


def test_a_conversation_erased_and_begun_again_is_not_mistaken_for_the_old_one(store):
    tracker = new_conversation(store, "f")
    tracker.update_with_events(turn("old"), DOMAIN)
    run(store.save(tracker))
    other = make_store_like(store)
    with other.session_scope() as session:
        session.execute(sa.delete(other.SQLEvent).where(other.SQLEvent.sender_id == "f"))
        session.commit()
    time.sleep(0.01)
    theirs = new_conversation(other, "f")
    theirs.update_with_events(turn("new"), DOMAIN)
    run(other.save(theirs))
    assert texts(run(store.retrieve("f"))) == ["new"]


def test_with_the_cache_off_every_message_reads_the_database(db_url, monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "0")
    store = make_store(db_url)
    tracker = new_conversation(store, "g")
    tracker.update_with_events(turn("my back hurts"), DOMAIN)
    run(store.save(tracker))
    again = run(store.retrieve("g"))
    assert again is not tracker and texts(again) == ["my back hurts"]
    again.update_with_events(turn("no"), DOMAIN)
    run(store.save(again))
    assert stored_rows(store, "g") == len(again.events)


def test_a_bad_cache_size_is_a_clear_error(db_url, monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "lots")
    with pytest.raises(ValueError, match="TRACKER_CACHE_SIZE"):
        make_store(db_url)


def test_the_cluster_store_keeps_conversations_too(db_url):
    store = make_store(db_url, ResilientSQLTrackerStore)
    tracker = new_conversation(store, "h")
    tracker.update_with_events(turn("my back hurts"), DOMAIN)
    run(store.save(tracker))
    assert run(store.retrieve("h")) is tracker
    assert store.engine.pool._pre_ping  # and still checks a pooled connection before use


# --- Sessions, the fall-back save and the event broker -----------------------------------------
# A 12-event conversation must end as 12 rows whatever path the save takes: the kept tracker,
# or the count of stored rows when the kept one cannot be used (another server's turn, an
# eviction, a retried commit, a purge). These tests cross a session boundary, as a person who
# comes back after the session expired does.

def new_session(tracker):
    """What Rasa logs when action_session_start runs: the action, then its events (the
    session start is made inside the action, so its timestamp is the older one)."""
    started = SessionStarted()
    carried = [SlotSet("flags", tracker.get_slot("flags"))] if tracker.get_slot("flags") else []
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update_with_events([started, *carried, ActionExecuted("action_listen")], DOMAIN)


def stored(store, sender):
    """Every row of a conversation, all sessions, as event dicts (what a full export reads)."""
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender) \
            .order_by(store.SQLEvent.id).all()
        return [json.loads(row.data) for row in rows]


def repeated(rows):
    seen, twice = set(), []
    for row in rows:
        key = json.dumps(row, sort_keys=True)
        if key in seen:
            twice.append(row)
        seen.add(key)
    return twice


def dicts(events):
    return [event.as_dict() for event in events]


def two_sessions(store, sender):
    """A first session of two turns, stored and kept; then the person comes back: a new
    session starts on the kept tracker and they say something. Not saved yet."""
    tracker = new_conversation(store, sender)
    tracker.update_with_events(turn("my back hurts", ("flags", ["fever"])), DOMAIN)
    run(store.save(tracker))
    again = run(store.retrieve(sender))
    again.update_with_events(turn("no"), DOMAIN)
    run(store.save(again))
    back = run(store.retrieve(sender))
    new_session(back)
    back.update_with_events(turn("it still hurts"), DOMAIN)
    return back


def test_a_kept_conversation_never_spans_two_sessions(store):
    tracker = two_sessions(store, "s1")
    run(store.save(tracker))
    ours = run(store.retrieve("s1"))
    theirs = run(make_store_like(store).retrieve("s1"))  # another server reads the database
    assert dicts(ours.events) == dicts(theirs.events)
    assert texts(ours) == ["it still hurts"]  # only the latest session, as Rasa reads it
    assert ours.get_slot("flags") == ["fever"]  # carried over into the new session
    ours.update_with_events(turn("no"), DOMAIN)
    run(store.save(ours))
    assert stored(store, "s1") == dicts(tracker.events) + dicts(ours.events)[len(theirs.events):]


def test_a_conversation_evicted_mid_turn_is_stored_once(db_url, monkeypatch):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "1")
    store = make_store(db_url)
    tracker = two_sessions(store, "s2")
    run(store.save(tracker))  # this save keeps the two-session tracker (before the fix)
    tracker = run(store.retrieve("s2"))
    tracker.update_with_events(turn("no"), DOMAIN)
    other = new_conversation(store, "someone else")  # the only place in memory goes to them
    other.update_with_events(turn("hello"), DOMAIN)
    run(store.save(other))
    run(store.save(tracker))
    full = run(make_store_like(store).retrieve_full_tracker("s2"))
    assert repeated(stored(store, "s2")) == []
    assert texts(full) == ["my back hurts", "no", "it still hurts", "no"]
    store.engine.dispose()


def test_a_commit_retried_after_a_lost_connection_stores_each_event_once(db_url, monkeypatch):
    store = make_store(db_url, ResilientSQLTrackerStore)
    tracker = two_sessions(store, "s3")
    run(store.save(tracker))
    tracker = run(store.retrieve("s3"))
    tracker.update_with_events(turn("no"), DOMAIN)
    # The commit goes through, then the connection drops before the store hears back: the
    # store retries the whole save.
    committed = []
    sa.event.listen(store.engine, "commit", lambda connection: committed.append(True))
    real_fingerprint = store.fingerprint

    def fingerprint_after_a_lost_connection(session, sender_id):
        if committed and not getattr(store, "_failed_once", False):
            store._failed_once = True
            raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real_fingerprint(session, sender_id)

    monkeypatch.setattr(store, "fingerprint", fingerprint_after_a_lost_connection)
    monkeypatch.setenv("TRACKER_DB_RETRY_SECONDS", "5")
    run(store.save(tracker))
    assert store._failed_once
    full = run(make_store_like(store).retrieve_full_tracker("s3"))
    assert repeated(stored(store, "s3")) == []
    assert texts(full) == ["my back hurts", "no", "it still hurts", "no"]
    store.engine.dispose()


def test_a_purge_during_the_turn_leaves_the_turn_stored_once(store):
    from bot.storage import tracker_tables

    tracker = two_sessions(store, "s4")
    run(store.save(tracker))
    tracker = run(store.retrieve("s4"))
    tracker.update_with_events(turn("no"), DOMAIN)
    assert tracker_tables.purge_before(store.engine, datetime.now(timezone.utc)
                                       + timedelta(minutes=1)) > 0
    run(store.save(tracker))
    assert stored(store, "s4") == dicts(tracker.events)  # once each, nothing of the old session


def test_an_older_part_deleted_by_someone_else_is_noticed(store):
    tracker = new_conversation(store, "s5")
    tracker.update_with_events(turn("my back hurts"), DOMAIN)
    run(store.save(tracker))
    tracker = run(store.retrieve("s5"))
    tracker.update_with_events(turn("no"), DOMAIN)
    run(store.save(tracker))
    with store.session_scope() as session:  # the oldest rows go, the newest stay
        oldest = session.query(sa.func.min(store.SQLEvent.id)).scalar()
        session.query(store.SQLEvent).filter(store.SQLEvent.id == oldest).delete()
        session.commit()
    assert run(store.retrieve("s5")) is not tracker


RABBITMQ = "127.0.0.1"


def rabbitmq_reachable() -> bool:
    import socket

    try:
        socket.create_connection((RABBITMQ, 5672), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not rabbitmq_reachable(), reason="needs RabbitMQ on 127.0.0.1:5672")
def test_with_an_event_broker_each_event_is_stored_and_published_once(db_url):
    import uuid

    import aio_pika
    from rasa.core.brokers.pika import PikaEventBroker

    name = f"triage-test-{uuid.uuid4().hex[:10]}"

    async def scenario():
        broker = PikaEventBroker(RABBITMQ, "guest", "guest", queues=[name], exchange_name=name,
                                 event_loop=asyncio.get_running_loop())
        await broker.connect()
        store = make_store(db_url)
        store.event_broker = broker
        try:
            tracker = await store.get_or_create_tracker("s6", append_action_listen=False)
            tracker.update_with_events([SessionStarted(), ActionExecuted("action_listen")],
                                       DOMAIN)
            tracker.update_with_events(turn("my back hurts", ("flags", ["fever"])), DOMAIN)
            await store.save(tracker)
            tracker = await store.retrieve("s6")
            tracker.update_with_events(turn("no"), DOMAIN)
            await store.save(tracker)
            tracker = await store.retrieve("s6")
            new_session(tracker)
            tracker.update_with_events(turn("it still hurts"), DOMAIN)
            await store.save(tracker)
            tracker = await store.retrieve("s6")
            tracker.update_with_events(turn("no"), DOMAIN)
            await store.save(tracker)
            await asyncio.gather(*list(broker._background_tasks))
            rows = stored(store, "s6")
            connection = await aio_pika.connect(f"amqp://guest:guest@{RABBITMQ}/")
            async with connection:
                channel = await connection.channel()
                queue = await channel.declare_queue(name, durable=True)
                published = []
                while True:
                    message = await queue.get(no_ack=True, fail=False, timeout=5)
                    if message is None:
                        break
                    published.append(json.loads(message.body))
                await queue.delete(if_unused=False, if_empty=False)
                await channel.exchange_delete(name)
            return rows, published
        finally:
            await broker.close()
            store.engine.dispose()

    rows, published = run(scenario())
    assert [e["event"] for e in published] == [e["event"] for e in rows]
    assert [e["timestamp"] for e in published] == [e["timestamp"] for e in rows]
    assert [e.get("text") for e in rows if e["event"] == "user"] == \
        ["my back hurts", "no", "it still hurts", "no"]
