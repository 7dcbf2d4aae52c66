"""Shared fixtures: the real servers, started once per test session on free local ports.

Integration tests talk to a real Rasa server (the trained model in models/) and a real
action server over HTTP on 127.0.0.1, with an SQLite tracker store in a temporary folder.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "triage.tar.gz"
EMERGENCY_NUMBER = "999"  # not the default, so tests see that the setting is used
PSEUDONYM_SECRET = "test-secret-not-for-production"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The browser tests' widget page runs on this port; the servers accept its origin.
WIDGET_PORT = free_port()
WIDGET_ORIGIN = f"http://127.0.0.1:{WIDGET_PORT}"


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}); log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server at {url} did not start in {timeout}s; log:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_env(**extra) -> dict:
    env = dict(os.environ)
    # The tests choose their own databases: a developer's settings must not leak in.
    for name in ("TRACKER_DB_URL", "TRACKER_DB_DIALECT", "TRACKER_DB_NAME", "RECORDS_DB_URL"):
        env.pop(name, None)
    env.update({"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                "RASA_TELEMETRY_ENABLED": "false", "EMERGENCY_NUMBER": EMERGENCY_NUMBER,
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PSEUDONYM_SECRET": PSEUDONYM_SECRET})
    # credentials.yml reads these; empty leaves Telegram off (as scripts/env.sh does).
    for name in ("TELEGRAM_TOKEN", "TELEGRAM_BOT_NAME", "TELEGRAM_WEBHOOK_URL",
                 "TELEGRAM_WEBHOOK_SECRET"):
        env.setdefault(name, "")
    env.setdefault("TELEGRAM_API_URL", "https://api.telegram.org")
    env.setdefault("CORS_ORIGINS", WIDGET_ORIGIN)
    env.setdefault("REST_AUTH", "open")  # servers on 127.0.0.1, as make run's
    env.update(extra)
    return env


def migrate(url: str, revision: str = "head", down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    (command.downgrade if down else command.upgrade)(config, revision)


class PostgresDatabases:
    """Fresh PostgreSQL databases for one test session, dropped at the end."""

    def __init__(self, admin_url: str):
        import sqlalchemy

        self.admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT",
                                              future=True)
        self.created = []

    def create(self) -> str:
        import sqlalchemy

        name = f"triage_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        import sqlalchemy

        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(sqlalchemy.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name"), {"name": name})
                connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres():
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'triage.db'}"
    else:
        url = request.getfixturevalue("postgres").create()
    migrate(url)
    return url


@pytest.fixture(scope="session")
def tracker_db(tmp_path_factory) -> str:
    """The database the session's servers share (SQLite), migrated."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tracker.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def action_server(logs_dir, tracker_db):
    port = free_port()
    log = logs_dir / "actions.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "bot.operations.action_server", "--actions", "actions",
         "--port", str(port)],
        cwd=ROOT, env=server_env(TRACKER_DB_URL=tracker_db), stdout=log.open("w"),
        stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", process, log)
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        stop(process)


@pytest.fixture(scope="session")
def endpoints_file(action_server, tracker_db, tmp_path_factory) -> Path:
    return write_endpoints(tmp_path_factory.mktemp("endpoints") / "endpoints.yml",
                           action_server, tracker_db)


def start_rasa(endpoints_file: Path, log: Path, env: dict = None,
               credentials: Path = ROOT / "credentials.yml"):
    """A Rasa server on a free port with the trained model: (process, base URL)."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
    port = free_port()
    # As serve.sh starts it: bot.channels.serve reads any API secret from the environment.
    process = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "bot.channels.serve", "--model", str(MODEL),
         "--port", str(port), "--endpoints", str(endpoints_file),
         "--credentials", str(credentials), "--enable-api", "--cors", WIDGET_ORIGIN],
        cwd=ROOT, env=server_env(**(env or {})), stdout=log.open("a"), stderr=subprocess.STDOUT)
    try:
        token = (env or {}).get("RASA_API_TOKEN")
        wait_for(f"http://127.0.0.1:{port}/status" + (f"?token={token}" if token else ""),
                 process, log)
    except Exception:
        stop(process)
        raise
    return process, f"http://127.0.0.1:{port}"


def write_endpoints(path: Path, action_url: str, tracker_url: str) -> Path:
    path.write_text(
        f"action_endpoint:\n  url: {action_url}\n  enable_selective_domain: true\n"
        f"tracker_store:\n  type: bot.storage.tracker_store.ErasableSQLTrackerStore\n"
        f"  dialect: {tracker_url.split(':')[0].split('+')[0]}\n  url: {tracker_url}\n"
        f"  db: {tracker_url.rsplit('/', 1)[-1]}\n")
    return path


@pytest.fixture(scope="session")
def rasa_server(endpoints_file, logs_dir, tracker_db):
    # The records database too (the Telegram channel reads handover summaries from it).
    process, url = start_rasa(endpoints_file, logs_dir / "rasa.log",
                              env={"TRACKER_DB_URL": tracker_db})
    try:
        yield url
    finally:
        stop(process)


class Chat:
    """One person talking to the bot over the REST channel."""

    def __init__(self, base_url: str, sender: str, conversation_id: str = None):
        self.base_url = base_url
        self.sender = sender
        # The REST channel's namespace; another channel's conversation can be read by its key.
        self.conversation_id = conversation_id or f"rest:{sender}"

    def send(self, text) -> list:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(f"{self.base_url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def tracker(self) -> dict:
        with urllib.request.urlopen(
                f"{self.base_url}/conversations/{self.conversation_id}/tracker",
                timeout=30) as response:
            return json.loads(response.read())

    def slot(self, name):
        return self.tracker()["slots"].get(name)


@pytest.fixture
def chat(rasa_server, request):
    return Chat(rasa_server, f"test-{uuid.uuid4().hex}")
