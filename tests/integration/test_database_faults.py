"""A records database that cannot be reached never costs the person their advice, and
"delete my data" then deletes nothing and says so."""
import subprocess

import pytest
import sqlalchemy as sa

from tests.conftest import (ROOT, VENV_BIN, Chat, free_port, server_env, start_rasa, stop,
                            wait_for, write_endpoints)


@pytest.fixture(scope="module")
def records_down(tmp_path_factory, tracker_db):
    """A Rasa server whose action server cannot reach the records database."""
    tmp_path = tmp_path_factory.mktemp("records-down")
    port = free_port()
    log = tmp_path / "actions.log"
    actions = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
        env=server_env(TRACKER_DB_URL=tracker_db,
                       RECORDS_DB_URL="postgresql://nobody@127.0.0.1:1/unreachable"))
    try:
        wait_for(f"http://127.0.0.1:{port}/health", actions, log)
        endpoints = write_endpoints(tmp_path / "endpoints.yml",
                                    f"http://127.0.0.1:{port}/webhook", tracker_db)
        rasa, url = start_rasa(endpoints, tmp_path / "rasa.log")
        try:
            yield url, log
        finally:
            stop(rasa)
    finally:
        stop(actions)


def test_advice_is_given_when_the_records_database_is_down(records_down):
    url, log = records_down
    messages = Chat(url, "db-down").send("I can't control my bladder since leg day")
    payloads = [m["custom"] for m in messages if "custom" in m]
    assert payloads and payloads[-1]["disposition"] == "emergency"
    assert "triage record not stored: OperationalError" in log.read_text()


def stored_events(db_url, sender):
    engine = sa.create_engine(db_url, future=True)
    with engine.connect() as connection:
        n = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"),
                               {"s": sender}).scalar_one()
    engine.dispose()
    return n


def test_erasure_with_the_records_database_down_deletes_nothing_and_says_so(records_down,
                                                                              tracker_db):
    url, _ = records_down
    chat = Chat(url, "erase-while-records-down")
    chat.send("my back hurts and I have a fever")
    chat.send("/deny")  # none of the emergency signs: the urgent advice follows
    chat.send("please delete my data")
    before = stored_events(tracker_db, chat.conversation_id)
    reply = " ".join(m.get("text", "") for m in chat.send("/affirm")).lower()
    assert "nothing has been deleted" in reply
    assert "deleted this conversation" not in reply
    # The conversation is still stored, as the person was told, and goes on.
    assert stored_events(tracker_db, chat.conversation_id) > before
    assert chat.slot("disposition") == "urgent"
