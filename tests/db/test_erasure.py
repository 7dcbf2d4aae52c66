""""Delete my data" on SQLite and PostgreSQL: all or nothing, and the reply says which.

The erase action deletes the triage records and the stored conversation in the action server
(bot/storage/erasure.py), then tells the person what it deleted; the Rasa server's tracker
store stores nothing of that turn only when the person was told that everything is gone.
"""
import asyncio
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import erase_my_data, result, validate_triage_form
from bot.clinical import triage
from bot.storage import database, erasure, pseudonym, records
from bot.storage.case_log import CaseLog
from bot.storage.tracker_store import ErasableSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).parents[2] / "domain.yml"))
SECRET = "erasure-test-secret"
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/unreachable"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("PSEUDONYM_SECRET", SECRET)


def make_store(url):
    return ErasableSQLTrackerStore(domain=DOMAIN, dialect=url.split(":")[0].split("+")[0],
                                   host=url, db=url.rsplit("/", 1)[-1])


def converse(url, sender):
    """A stored conversation with one triage record, as the servers leave it."""
    store = make_store(url)
    tracker = asyncio.run(store.get_or_create_tracker(sender, append_action_listen=False))
    tracker.update_with_events([SessionStarted(), ActionExecuted("action_listen"),
                                UserUttered("my back hurts and I have a fever"),
                                ActionExecuted("action_give_disposition"),
                                ActionExecuted("action_listen")], DOMAIN)
    asyncio.run(store.save(tracker))
    store.engine.dispose()
    engine = database.make_engine(url)
    with database.unit_of_work(engine) as session:
        records.add_record(session, conversation_key=key(sender), turn="t", channel="rest",
                           disposition="urgent", rule="flag:fever", red_flags=["fever"],
                           symptoms=[], rules_version=triage.RULES_VERSION)
    engine.dispose()


def key(sender):
    return pseudonym.conversation_key(sender, SECRET.encode())


def what_is_stored(url, sender):
    """(triage records, conversation events) of this person."""
    engine = database.make_engine(url)
    with engine.connect() as connection:
        n_records = connection.execute(sa.text(
            "SELECT count(*) FROM triage_records WHERE conversation_key = :k"),
            {"k": key(sender)}).scalar_one()
        n_events = connection.execute(sa.text(
            "SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar_one()
    engine.dispose()
    return n_records, n_events


def test_both_in_one_database_are_deleted_together(db_url):
    converse(db_url, "p1")
    converse(db_url, "someone else")
    outcome = erasure.Erasure(db_url, db_url).erase("p1")
    assert outcome.response == erasure.ALL_ERASED and outcome.records == 1
    assert what_is_stored(db_url, "p1") == (0, 0)
    assert what_is_stored(db_url, "someone else")[0] == 1


def test_when_one_delete_fails_in_one_database_nothing_is_deleted(db_url):
    converse(db_url, "p2")
    engine = database.make_engine(db_url)
    with engine.begin() as connection:  # the database refuses to delete conversation rows
        if engine.dialect.name == "sqlite":
            connection.execute(sa.text(
                "CREATE TRIGGER keep_events BEFORE DELETE ON events "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        else:
            connection.execute(sa.text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"))
            connection.execute(sa.text(
                "CREATE TRIGGER keep_events BEFORE DELETE ON events "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"))
    engine.dispose()
    outcome = erasure.Erasure(db_url, db_url).erase("p2")
    assert outcome.response == erasure.NOTHING_ERASED
    assert what_is_stored(db_url, "p2") == (1, 5)


def test_a_records_database_that_is_down_deletes_nothing(db_url):
    converse(db_url, "p3")
    outcome = erasure.Erasure(UNREACHABLE, db_url).erase("p3")
    assert outcome.response == erasure.NOTHING_ERASED
    assert what_is_stored(db_url, "p3") == (1, 5)  # the conversation is not touched


def test_a_tracker_database_that_is_down_leaves_the_conversation_and_says_so(db_url):
    converse(db_url, "p4")
    outcome = erasure.Erasure(db_url, UNREACHABLE).erase("p4")
    assert outcome.response == erasure.RECORDS_ONLY
    assert what_is_stored(db_url, "p4") == (0, 5)


@pytest.mark.parametrize("response, kept", [
    (erasure.ALL_ERASED, False),  # the person was told everything is gone
    (erasure.RECORDS_ONLY, True),  # told that the conversation is still stored
    (erasure.NOTHING_ERASED, True),  # told that nothing was deleted
    (None, True),  # the action could not run (action server down): nothing was deleted
])
def test_the_rasa_server_stores_the_turn_unless_everything_was_deleted(db_url, response, kept):
    store = make_store(db_url)
    tracker = asyncio.run(store.get_or_create_tracker("p5", append_action_listen=False))
    tracker.update_with_events([SessionStarted(), ActionExecuted("action_listen"),
                                UserUttered("my back hurts"), ActionExecuted("action_listen")],
                               DOMAIN)
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("p5"))
    tracker.update_with_events([UserUttered("/affirm"), ActionExecuted(erasure.ERASE_ACTION)],
                               DOMAIN)
    if response:
        tracker.update(BotUttered("...", metadata={"utter_action": response}))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    again = asyncio.run(make_store(db_url).retrieve("p5"))
    if kept:
        assert [e.as_dict() for e in again.events] == [e.as_dict() for e in tracker.events]
    else:
        assert again is None
    store.engine.dispose()


def test_every_reply_of_the_action_exists_in_the_domain():
    assert set(erase_my_data.RESPONSES) <= set(DOMAIN.responses)


def rasa_sdk_tracker(sender, slots=None):
    return Tracker(sender, slots or {}, {"text": "/affirm", "intent": {"name": "affirm"}},
                   [{"event": "user", "text": "/affirm", "timestamp": time.time()}], False,
                   None, {}, "action_listen")


def erase(db_url, monkeypatch, sender):
    monkeypatch.setattr(erase_my_data, "ERASURE", erasure.Erasure(db_url, db_url))
    return erase_my_data.ActionEraseMyData(), rasa_sdk_tracker(sender)


def record(db_url, monkeypatch, sender):
    """The triage form's validation, on a red flag that settles the check: it gives the
    recommendation and writes its record."""
    monkeypatch.setattr(result, "CASE_LOG", CaseLog(db_url))
    return validate_triage_form.ValidateTriageForm(), rasa_sdk_tracker(
        sender, {"flags": ["bladder_bowel"], "emergency_number": "999"})


@pytest.mark.parametrize("action", [erase, record])
def test_a_slow_database_holds_up_only_its_own_conversation(db_url, monkeypatch, action):
    """The action server runs every conversation's actions on one event loop: an action
    that waits for a busy database (erasing, or writing the triage record) does not stop it."""
    converse(db_url, "p6")
    act, tracker = action(db_url, monkeypatch, "p6")
    engine = database.make_engine(db_url)
    blocker = engine.connect()
    transaction = blocker.begin()
    if engine.dialect.name == "sqlite":  # another writer holds the database
        blocker.execute(sa.text("UPDATE triage_records SET channel = channel"))
    else:
        blocker.execute(sa.text("LOCK TABLE triage_records IN ACCESS EXCLUSIVE MODE"))
    released = []

    def release(by):
        if not released:
            released.append(by)
            transaction.rollback()
            blocker.close()

    # Should the loop stall, a thread lets the database go after 4 s so the test ends.
    threading.Timer(4.0, release, args=("a thread, after the loop stalled",)).start()

    async def scenario():
        async def other_conversations():
            await asyncio.sleep(0.5)  # runs only if the loop is free while the action waits
            release("the event loop")

        dispatcher = CollectingDispatcher()
        started = time.monotonic()
        await asyncio.gather(act.run(dispatcher, tracker, {}), other_conversations())
        return dispatcher.messages, time.monotonic() - started

    messages, took = asyncio.run(scenario())
    assert released == ["the event loop"]
    assert took < 3.5
    if action is erase:
        assert [m["response"] for m in messages] == [erasure.ALL_ERASED]
        assert what_is_stored(db_url, "p6") == (0, 0)
    else:
        assert messages[-1]["response"] == "utter_disposition_emergency"
        assert what_is_stored(db_url, "p6")[0] == 2  # the conversation's record, and this one
    engine.dispose()
