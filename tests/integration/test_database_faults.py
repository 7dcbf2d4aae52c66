"""A records database that cannot be reached never costs the person their advice."""
import subprocess

from tests.conftest import (ROOT, VENV_BIN, Chat, free_port, server_env, start_rasa, stop,
                            wait_for, write_endpoints)


def test_advice_is_given_when_the_records_database_is_down(tmp_path, tracker_db):
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
            messages = Chat(url, "db-down").send("I can't control my bladder since leg day")
            payloads = [m["custom"] for m in messages if "custom" in m]
            assert payloads and payloads[-1]["disposition"] == "emergency"
        finally:
            stop(rasa)
        assert "triage record not stored: OperationalError" in log.read_text()
    finally:
        stop(actions)
