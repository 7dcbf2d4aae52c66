"""make backup / make restore on real servers, with SQLite and with PostgreSQL.

Halfway through a triage the databases are backed up; the servers are stopped, the database
is wiped (the SQLite file deleted, the PostgreSQL database dropped) and restored from the
archive; the servers start again, and the conversation goes on from the question it was at:
every stored event is back, exactly, and the triage ends with its recommendation and its
triage record.
"""
import json
import subprocess
import sys
import urllib.request
import uuid

import pytest
import sqlalchemy

from scripts.bench.conversations import MILDEST_ANSWERS
from tests.conftest import (ROOT, VENV_BIN, Chat, migrate, server_env, start_rasa, stop,
                            wait_for, write_endpoints, free_port)

OPENING = ["hello", "I tweaked my back on the leg press"]
BEFORE = OPENING + list(MILDEST_ANSWERS[:4])
AFTER = list(MILDEST_ANSWERS[4:])


def start_servers(url, tmp_path, logs):
    port = free_port()
    log = logs / "actions.log"
    actions = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "bot.operations.action_server", "--actions", "actions",
         "--port", str(port)], cwd=ROOT, env=server_env(TRACKER_DB_URL=url),
        stdout=log.open("a"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", actions, log)
        endpoints = write_endpoints(tmp_path / "endpoints.yml",
                                    f"http://127.0.0.1:{port}/webhook", url)
        rasa, base = start_rasa(endpoints, logs / "rasa.log")
    except BaseException:
        stop(actions)
        raise
    return (actions, rasa), base


def run_backup_tool(url, *args):
    result = subprocess.run([sys.executable, "-m", "bot.operations.backup", *args], cwd=ROOT,
                            env=server_env(TRACKER_DB_URL=url, PYTHONPATH=str(ROOT)),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def stored_events(url, conversation):
    engine = sqlalchemy.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sqlalchemy.text(
                "SELECT type_name, timestamp, intent_name, action_name, data FROM events "
                "WHERE sender_id = :s ORDER BY id"), {"s": conversation})]
    finally:
        engine.dispose()


def records_count(url):
    engine = sqlalchemy.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text(
                "SELECT count(*) FROM triage_records")).scalar()
    finally:
        engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_backup_mid_conversation_wipe_restore_and_the_conversation_goes_on(
        dialect, tmp_path, postgres):
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        url = postgres.create()
    migrate(url)
    logs = tmp_path / "logs"
    logs.mkdir()
    servers, base = start_servers(url, tmp_path, logs)
    chat = Chat(base, f"backup-{uuid.uuid4().hex[:8]}")
    try:
        for text in BEFORE:
            assert chat.send(text)
        question_before = chat.tracker()["slots"].get("requested_slot")
        lines = run_backup_tool(url, "create", "--dir", str(tmp_path / "backups"))
        archive = lines[-1]
        assert archive.endswith(".tar.gz")
    finally:
        for process in reversed(servers):
            stop(process)
    before = stored_events(url, chat.conversation_id)
    assert [e for e in before if e[0] == "user"], "the conversation was stored"
    records_before = records_count(url)

    # wipe
    if dialect == "sqlite":
        (tmp_path / "tracker.db").unlink()
    else:
        name = sqlalchemy.engine.make_url(url).database
        with postgres.admin.connect() as connection:
            connection.execute(sqlalchemy.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(sqlalchemy.text(f'DROP DATABASE "{name}"'))
    assert run_backup_tool(url, "restore", archive)[-1].startswith("==> restored tracker")
    assert stored_events(url, chat.conversation_id) == before  # nothing lost, nothing added
    assert records_count(url) == records_before

    servers, base = start_servers(url, tmp_path, logs)
    try:
        chat.base_url = base
        assert chat.tracker()["slots"].get("requested_slot") == question_before
        replies = []
        for text in AFTER:
            replies = chat.send(text)
        dispositions = [r["custom"]["disposition"] for r in replies
                        if isinstance(r.get("custom"), dict) and "disposition" in r["custom"]]
        assert dispositions == ["self_care"]
        users = [e["text"] for e in chat.tracker()["events"] if e["event"] == "user"]
        assert users == BEFORE + AFTER
    finally:
        for process in reversed(servers):
            stop(process)
    assert records_count(url) == records_before + 1


def test_a_backup_holds_no_connection_url_or_password(tmp_path):
    import tarfile

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    migrate(url)
    archive = run_backup_tool(url, "create", "--dir", str(tmp_path / "b"))[-1]
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())
    assert manifest["databases"] == [{"role": "tracker", "dialect": "sqlite",
                                      "file": "tracker.sqlite"}]
    assert str(tmp_path) not in json.dumps(manifest)
    assert (oct((tmp_path / "b").joinpath(archive.rsplit("/", 1)[-1]).stat().st_mode)[-3:]
            == "600")


def test_restoring_a_file_that_is_not_a_backup_says_so(tmp_path):
    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(b"not a backup")
    result = subprocess.run([sys.executable, "-m", "bot.operations.backup", "restore",
                             str(bogus)], cwd=ROOT, capture_output=True, text=True,
                            env=server_env(TRACKER_DB_URL=f"sqlite:///{tmp_path / 't.db'}",
                                           PYTHONPATH=str(ROOT)))
    assert result.returncode != 0 and "error" in result.stderr.lower()
    assert not (tmp_path / "t.db").exists()
