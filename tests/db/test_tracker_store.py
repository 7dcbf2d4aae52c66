"""The SQL tracker store with conversations kept in memory, on SQLite and PostgreSQL.

What a server keeps in memory must never be staler than the database: another server's turn,
a turn that failed half-way, an erasure or a purge all make it read the database again.
"""
import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from bot.storage.resilient_tracker_store import ResilientSQLTrackerStore
from bot.storage.tracker_store import ERASE_ACTION, ErasableSQLTrackerStore

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
    tracker.update_with_events([UserUttered("delete my data"), ActionExecuted(ERASE_ACTION)],
                               DOMAIN)
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
