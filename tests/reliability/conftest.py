"""A cluster of its own for the reliability tests (make reliability), and the run's figures.

Fresh PostgreSQL database, its own Redis key prefix, free ports (never 5005/5055/5700), pid
files and logs under var/reliability/cluster. The figures every test adds to are written to
var/reliability/summary.json when the session ends; tests/reliability/summary.py prints them
as the last line of `make reliability`.
"""
import json
import os
import secrets
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import EMERGENCY_NUMBER, POSTGRES_ADMIN_URL, ROOT, PostgresDatabases, free_port
from tests.integration.test_telegram import BOT_NAME as TELEGRAM_BOT_NAME
from tests.integration.test_telegram import TOKEN as TELEGRAM_TOKEN
from tests.integration.test_telegram import BotApiStandIn

sys.path.insert(0, str(ROOT / "cluster"))
from control import Cluster  # noqa: E402

SUMMARY = ROOT / "var" / "reliability" / "summary.json"
FIGURES = {"users": 0, "messages": 0, "errors": 0, "events_lost": 0, "events_duplicated": 0,
           "faults_injected": 0, "faults_survived": 0, "fuzz_cases": 0, "p95_ms": None,
           "throughput_msg_s": None, "retried": 0, "isolation_breaches": 0,
           "flood_p95_ratio": None, "flood_lost": None, "details": {}}


@pytest.fixture(scope="session")
def figures():
    yield FIGURES


def pytest_sessionfinish(session, exitstatus):
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    FIGURES["pytest_exit"] = int(exitstatus)
    SUMMARY.write_text(json.dumps(FIGURES, indent=2))


@pytest.fixture(scope="session")
def telegram_api():
    """A stand-in of Telegram's Bot API for the cluster's Telegram channel (on 127.0.0.1)."""
    stand_in = BotApiStandIn()
    stand_in.start()
    yield stand_in
    stand_in.stop()


def rest_headers(cluster) -> dict:
    """The credential of a trusted server-to-server REST client (REST_TOKEN)."""
    return {"Authorization": f"Bearer {cluster.env['REST_TOKEN']}"}


@pytest.fixture(scope="session")
def cluster(telegram_api):
    databases = PostgresDatabases(POSTGRES_ADMIN_URL)
    tracker_url = databases.create()
    prefix = "rel" + uuid.uuid4().hex[:10]
    env = dict(os.environ)
    env.update({
        "CLUSTER_DIR": "var/reliability/cluster",
        "CLUSTER_PORT": str(free_port()),
        "CLUSTER_RASA_PORTS": f"{free_port()},{free_port()}",
        "CLUSTER_ACTION_PORTS": f"{free_port()},{free_port()}",
        "CLUSTER_ACTION_LB_PORT": str(free_port()),
        "CLUSTER_STATUS_PORT": str(free_port()),
        "TRACKER_DB_URL": tracker_url,
        "LOCK_STORE_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3"),
        "LOCK_STORE_PREFIX": prefix,
        "TICKET_LOCK_LIFETIME": "20",
        "TRACKER_DB_RETRY_SECONDS": "45",
        "EMERGENCY_NUMBER": EMERGENCY_NUMBER,
        "RASA_API_TOKEN": secrets.token_urlsafe(24),
        "PSEUDONYM_SECRET": "reliability-test-secret",
        # The production settings of the public channels (README, "Security settings").
        "REST_AUTH": "token",
        "REST_TOKEN": secrets.token_urlsafe(24),
        "REST_JWT_SECRET": secrets.token_urlsafe(32),
        "WIDGET_SESSION_SECRET": secrets.token_urlsafe(32),
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_BOT_NAME": TELEGRAM_BOT_NAME,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        "TELEGRAM_API_URL": telegram_api.url,
        # Both Rasa servers look for due check-ins this often (test_8_checkins_once.py).
        "CHECKIN_POLL": "2",
        "LOG_LEVEL": "INFO",
    })
    instance = Cluster(env)
    instance.stop()  # leftovers of an interrupted run, by their pid files
    print(f"\n==> starting the test cluster: nginx :{instance.port}, Rasa {instance.rasa_ports}, "
          f"actions {instance.action_ports}", flush=True)
    try:
        instance.start()
        yield instance
    finally:
        print("\n==> stopping the test cluster", flush=True)
        instance.stop()
        _clear_redis(env["LOCK_STORE_URL"], prefix)
        databases.admin.dispose()  # its pooled connection died if PostgreSQL was restarted
        databases.drop_all()


def _clear_redis(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(scope="session")
def tracker_engine(cluster):
    import sqlalchemy

    engine = sqlalchemy.create_engine(cluster.env["TRACKER_DB_URL"], future=True,
                                      pool_pre_ping=True)
    yield engine
    engine.dispose()


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def rasa_logs(cluster) -> str:
    return "".join(cluster.log_file(n).read_text(errors="replace") for n in cluster.services)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
