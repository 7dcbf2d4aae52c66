"""The project's tables on SQLite and PostgreSQL: migrations, records, erase, purge, CLI."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.clinical import triage
from bot.staff import cli
from bot.storage import case_log, database, pseudonym, records, tracker_tables
from tests.conftest import migrate


def add(session, key="k1", turn="t1", disposition="self_care", when=None, channel="rest",
        flags=(), rule="no_flags"):
    return records.add_record(session, conversation_key=key, turn=turn, channel=channel,
                              disposition=disposition, rule=rule, red_flags=list(flags),
                              symptoms=["pain"], rules_version=triage.RULES_VERSION,
                              created_at=when)


def test_migrations_go_up_and_down(db_url):
    engine = database.make_engine(db_url)
    assert "triage_records" in sa.inspect(engine).get_table_names()
    migrate(db_url, "base", down=True)
    assert "triage_records" not in sa.inspect(engine).get_table_names()
    migrate(db_url)
    assert "triage_records" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_a_retried_write_stores_one_record(db_url):
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:
        assert add(session) is True
    with database.unit_of_work(engine) as session:
        assert add(session) is False  # same conversation, turn and level
        assert add(session, turn="t2") is True
    with database.unit_of_work(engine) as session:
        assert records.count(session) == 2


def test_a_failed_unit_of_work_leaves_nothing(db_url):
    engine = database.make_engine(db_url)
    with pytest.raises(RuntimeError):
        with database.unit_of_work(engine) as session:
            add(session)
            raise RuntimeError("boom")
    with database.unit_of_work(engine) as session:
        assert records.count(session) == 0


def test_odd_text_is_stored_as_data(db_url):
    engine = database.make_engine(db_url)
    odd = "'; DROP TABLE triage_records; -- \u202e\U0001F600\x00"
    with database.unit_of_work(engine) as session:
        add(session, key=pseudonym.conversation_key(odd, b"s"), channel=odd, rule=odd)
    with database.unit_of_work(engine) as session:
        (record,) = records.find(session)
        assert record.channel == odd.replace("\x00", "")[:32]
        assert record.rule == odd.replace("\x00", "")
        assert records.count(session) == 1


def test_erase_removes_only_that_conversation(db_url):
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:
        add(session, key="a", turn="1")
        add(session, key="a", turn="2", disposition="urgent")
        add(session, key="b", turn="1")
    with database.unit_of_work(engine) as session:
        assert records.erase_conversation(session, "a") == 2
    with database.unit_of_work(engine) as session:
        assert [r.conversation_key for r in records.find(session)] == ["b"]


def _events_table(engine):
    metadata = sa.MetaData()
    table = sa.Table("events", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("sender_id", sa.String(255)), sa.Column("timestamp", sa.Float),
                     sa.Column("data", sa.Text))
    metadata.create_all(engine)
    return table


def test_purge_removes_old_records_and_old_conversations(db_url):
    engine = database.make_engine(db_url)
    now = datetime.now(timezone.utc)
    with database.unit_of_work(engine) as session:
        add(session, turn="old", when=now - timedelta(days=40))
        add(session, turn="new", when=now - timedelta(days=2))
    events = _events_table(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(events), [
            {"sender_id": "old", "timestamp": time.time() - 40 * 86400, "data": "{}"},
            {"sender_id": "old", "timestamp": time.time() - 39 * 86400, "data": "{}"},
            {"sender_id": "recent", "timestamp": time.time() - 40 * 86400, "data": "{}"},
            {"sender_id": "recent", "timestamp": time.time() - 60, "data": "{}"},
        ])
    assert cli.main(["purge", "--older-than", "30d", "--db", db_url]) == 0
    with database.unit_of_work(engine) as session:
        assert [r.disposition for r in records.find(session)] == ["self_care"]
        assert records.count(session) == 1
    with engine.connect() as connection:
        senders = {row[0] for row in connection.execute(sa.select(events.c.sender_id))}
    assert senders == {"recent"}  # a conversation still going on is kept whole
    assert tracker_tables.erase_sender(engine, "recent") == 2


def old_and_recent_conversations(engine):
    events = _events_table(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(events), [
            {"sender_id": "old", "timestamp": time.time() - 40 * 86400, "data": "{}"},
            {"sender_id": "recent", "timestamp": time.time() - 60, "data": "{}"},
        ])
    return events


def senders(engine, events):
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(sa.select(events.c.sender_id))}


def test_purge_finds_the_conversations_where_they_are_kept(db_url, tmp_path, monkeypatch):
    """RECORDS_DB_URL puts the records in another database than the conversations."""
    conversations = f"sqlite:///{tmp_path / 'conversations.db'}"
    monkeypatch.setenv("RECORDS_DB_URL", db_url)
    monkeypatch.setenv("TRACKER_DB_URL", conversations)
    now = datetime.now(timezone.utc)
    records_engine = database.make_engine(db_url)
    with database.unit_of_work(records_engine) as session:
        add(session, turn="old", when=now - timedelta(days=40))
    tracker_engine = database.make_engine(conversations)
    events = old_and_recent_conversations(tracker_engine)
    assert cli.main(["purge", "--older-than", "30d"]) == 0
    assert senders(tracker_engine, events) == {"recent"}
    with database.unit_of_work(records_engine) as session:
        assert records.count(session) == 0
    tracker_engine.dispose()
    records_engine.dispose()


def test_a_turn_stored_while_the_purge_runs_is_kept_with_its_conversation(db_url):
    """A person comes back to a stale conversation while the purge runs: their server
    commits the new turn just before the purge deletes. The purge must see it and keep the
    conversation (it is no longer stale), not delete the new turn with the old ones."""
    engine = database.make_engine(db_url)
    events = old_and_recent_conversations(engine)
    returning = database.make_engine(db_url)

    def a_turn_is_committed_first(connection, cursor, statement, *_):
        if statement.lstrip().upper().startswith("DELETE") and not returned:
            returned.append(True)
            with returning.begin() as other:
                other.execute(sa.insert(events), [
                    {"sender_id": "old", "timestamp": time.time(), "data": "{}"}])

    returned = []
    sa.event.listen(engine, "before_cursor_execute", a_turn_is_committed_first)
    tracker_tables.purge_before(engine, datetime.now(timezone.utc) - timedelta(days=30))
    assert returned
    with engine.connect() as connection:
        old = connection.execute(sa.select(sa.func.count()).select_from(events)
                                 .where(events.c.sender_id == "old")).scalar_one()
    assert old == 2  # the old turn and the new one: the conversation is kept whole
    returning.dispose()
    engine.dispose()


def test_case_log_writes_pseudonymous_records(db_url, monkeypatch):
    monkeypatch.setenv("PSEUDONYM_SECRET", "unit-secret")
    log = case_log.CaseLog(db_url)
    outcome = triage.assess({}, ["bladder_bowel"])
    assert log.record(sender_id="telegram-12345", turn="t", channel="telegram",
                      outcome=outcome, flags=["bladder_bowel"], symptoms=["pain"]) is True
    assert log.record(sender_id="telegram-12345", turn="t", channel="telegram",
                      outcome=outcome, flags=["bladder_bowel"], symptoms=["pain"]) is False
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:
        (record,) = records.find(session)
        assert record.conversation_key != "telegram-12345"
        assert "12345" not in record.conversation_key
        assert (record.disposition, record.rule) == ("emergency", "flag:bladder_bowel")
        assert record.red_flags == ["bladder_bowel"]


def test_case_log_survives_an_unreachable_database(monkeypatch):
    monkeypatch.setenv("PSEUDONYM_SECRET", "unit-secret")
    log = case_log.CaseLog("postgresql://nobody@127.0.0.1:1/none")
    outcome = triage.assess({}, [])
    assert log.record(sender_id="x", turn="t", channel="rest", outcome=outcome, flags=[],
                      symptoms=[]) is None


def test_cli_lists_shows_exports_and_counts(db_url, capsys, tmp_path):
    engine = database.make_engine(db_url)
    day = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    with database.unit_of_work(engine) as session:
        add(session, turn="1", when=day, disposition="emergency", flags=["fever", "both_legs"])
        add(session, turn="2", when=day + timedelta(hours=1), channel="telegram")
        add(session, turn="3", when=day + timedelta(days=1), disposition="see_doctor")
    assert cli.main(["cases", "list", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "emergency" in out and "3 case(s)" in out
    assert cli.main(["cases", "list", "--disposition", "see_doctor", "--db", db_url]) == 0
    assert "1 case(s)" in capsys.readouterr().out
    assert cli.main(["cases", "list", "--channel", "telegram", "--since", "2026-11-20",
                     "--until", "2026-11-21", "--db", db_url]) == 0
    assert "1 case(s)" in capsys.readouterr().out
    with database.unit_of_work(engine) as session:
        first = records.find(session)[0].id
    assert cli.main(["cases", "show", str(first), "--db", db_url]) == 0
    assert "both_legs" in capsys.readouterr().out
    assert cli.main(["cases", "show", "999999", "--db", db_url]) == 1
    capsys.readouterr()
    out_file = tmp_path / "cases.json"
    assert cli.main(["cases", "export", "--format", "json", "-o", str(out_file),
                     "--db", db_url]) == 0
    exported = json.loads(out_file.read_text())
    assert [r["disposition"] for r in exported] == ["emergency", "self_care", "see_doctor"]
    assert cli.main(["cases", "export", "--format", "csv", "--db", db_url]) == 0
    csv_text = capsys.readouterr().out
    assert csv_text.splitlines()[0].startswith("id,created_at,disposition")
    assert "fever;both_legs" in csv_text
    assert cli.main(["cases", "stats", "--db", db_url]) == 0
    stats = capsys.readouterr().out
    assert "2026-11-20" in stats and "2026-11-21" in stats and "total" in stats


@pytest.mark.parametrize("argv", [
    ["cases", "list", "--since", "yesterday-ish"],
    ["cases", "list", "--since", "2026-11-20", "--until", "2026-11-01"],
    ["purge", "--older-than", "forever"],
    ["cases", "list", "--disposition", "'; DROP TABLE x; --"],
])
def test_cli_rejects_bad_arguments_clearly(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv + ["--db", "sqlite://"])
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_cli_reports_an_unreachable_database(capsys):
    code = cli.main(["cases", "list", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert code == 1
    assert "cannot use the database" in capsys.readouterr().err


def test_cli_has_help_on_every_command(capsys):
    for argv in (["--help"], ["cases", "--help"], ["cases", "list", "--help"],
                 ["cases", "show", "--help"], ["cases", "export", "--help"],
                 ["cases", "stats", "--help"], ["purge", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 0
        assert "usage:" in capsys.readouterr().out
