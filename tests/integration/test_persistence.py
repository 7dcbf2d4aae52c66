"""Conversations and records in the database: records per disposition, erasure on request,
and a conversation that survives a restart of the Rasa server (SQLite and PostgreSQL)."""
import sqlalchemy as sa

from bot.storage import database, pseudonym, records
from tests.conftest import PSEUDONYM_SECRET, Chat, start_rasa, stop, write_endpoints


def records_of(db_url, sender):
    key = pseudonym.conversation_key(sender, PSEUDONYM_SECRET.encode())
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:
        found = [r.as_dict() for r in records.find(session) if r.conversation_key == key]
    engine.dispose()
    return found


def stored_events(db_url, sender):
    engine = database.make_engine(db_url)
    with engine.connect() as connection:
        n = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"),
                               {"s": sender}).scalar_one()
    engine.dispose()
    return n


def test_a_disposition_writes_one_pseudonymous_record(chat, tracker_db):
    chat.send("I can't feel the toilet paper when I wipe")
    chat.send("what are the warning signs?")  # a later turn writes nothing more
    (record,) = records_of(tracker_db, chat.conversation_id)
    assert record["disposition"] == "emergency"
    assert record["rule"] == "flag:saddle_numbness"
    assert record["red_flags"] == ["saddle_numbness"]
    assert record["channel"] == "rest"
    assert chat.sender not in record["conversation_key"]
    # No free text of the person is stored in the record.
    assert "toilet" not in str(record)


def test_asking_to_delete_my_data_erases_the_conversation_and_records(chat, tracker_db):
    chat.send("my back hurts and I have a fever")
    chat.send("/deny")  # none of the emergency signs: the urgent advice follows
    assert records_of(tracker_db, chat.conversation_id)
    assert stored_events(tracker_db, chat.conversation_id) > 0
    reply = " ".join(m.get("text", "") for m in chat.send("please delete my data"))
    assert "delete" in reply.lower()
    reply = " ".join(m.get("text", "") for m in chat.send("/affirm"))
    assert "deleted" in reply.lower()
    assert records_of(tracker_db, chat.conversation_id) == []
    assert stored_events(tracker_db, chat.conversation_id) == 0
    # The next message starts from scratch: nothing of the earlier triage is remembered.
    chat.send("hi")
    assert chat.slot("disposition") is None
    assert chat.slot("flags") in (None, [])


def test_saying_no_keeps_everything(chat, tracker_db):
    chat.send("my back hurts and I have a fever")
    chat.send("/deny")  # none of the emergency signs: the urgent advice follows
    chat.send("delete my data")
    chat.send("/deny")
    assert len(records_of(tracker_db, chat.conversation_id)) == 1
    assert chat.slot("disposition") == "urgent"


def test_a_conversation_survives_a_restart_of_the_server(db_url, action_server, tmp_path):
    endpoints = write_endpoints(tmp_path / "endpoints.yml", action_server, db_url)
    log = tmp_path / "rasa.log"
    process, url = start_rasa(endpoints, log)
    try:
        chat = Chat(url, "restart-test")
        chat.send("my lower back hurts after leg press")
        chat.send("no")
        assert chat.slot("requested_slot") == "ur_all"
    finally:
        stop(process)
    process, url = start_rasa(endpoints, log)
    try:
        chat = Chat(url, "restart-test")
        assert (chat.slot("em_all"), chat.slot("ur_all")) == ("no", None)
        assert chat.slot("requested_slot") == "ur_all"
        chat.send("no")
        assert chat.slot("ur_all") == "no"
        assert chat.slot("requested_slot") == "severity"
    finally:
        stop(process)
