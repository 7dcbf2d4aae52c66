"""Handover summaries in the records database, on SQLite and PostgreSQL: a token that works
until it expires and is never stored, the reference staff look up, erasure with "delete my
data", and the purge of old and expired ones."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot import settings
from bot.storage import database, erasure, pseudonym, summaries
from bot.storage.summary_store import SummaryStore
from bot.staff import cli

SECRET = "summary-test-secret"
FACTS = {"disposition": "self_care", "rules": ["no_flags"], "answers": {"severity": "mild"},
         "flags": [], "own_words": {}, "rules_version": "x",
         "region": settings.region_slots({"REGION": "eu"})}


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("PSEUDONYM_SECRET", SECRET)
    monkeypatch.setenv("SUMMARY_TTL", "7d")


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


def test_a_token_opens_its_summary_until_it_expires_and_only_its_hash_is_stored(db_url):
    clock = Clock()
    store = SummaryStore(db_url, clock=clock)
    token, reference, created, expires = store.create("rest:amy", FACTS)
    assert summaries.is_token(token) and len(token) == 43
    assert datetime.fromisoformat(expires) - datetime.fromisoformat(created) == timedelta(days=7)
    found = store.get(token)
    assert found["facts"] == FACTS and found["reference"] == reference
    assert store.latest("rest:amy")["reference"] == reference and store.latest("rest:bo") is None
    with store.engine().connect() as connection:
        stored = connection.execute(sa.text("SELECT * FROM summaries")).mappings().one()
    assert token not in str(dict(stored)) and stored["token_hash"] == summaries.token_hash(token)
    clock.now += timedelta(days=7)
    assert store.get(token) is None and store.latest("rest:amy") is None
    store.engine().dispose()


@pytest.mark.parametrize("bad", ["", "x", "A" * 42, "A" * 44, "../../etc/passwd" + "A" * 27,
                                 "A" * 42 + "!"])
def test_a_malformed_or_unknown_token_finds_nothing(db_url, bad):
    store = SummaryStore(db_url)
    store.create("rest:amy", FACTS)
    assert store.get(bad) is None
    assert store.get(summaries.new_token()) is None
    store.engine().dispose()


def test_delete_my_data_removes_the_summaries_of_that_conversation_only(db_url):
    store = SummaryStore(db_url)
    mine, _, _, _ = store.create("rest:amy", FACTS)
    theirs, _, _, _ = store.create("rest:bo", FACTS)
    outcome = erasure.Erasure(db_url, db_url).erase("rest:amy")
    assert outcome.records == 1  # the one summary (no triage record was stored)
    assert store.get(mine) is None and store.get(theirs) is not None
    store.engine().dispose()


def test_purge_removes_old_and_expired_summaries(db_url, capsys):
    engine = database.make_engine(db_url)
    key = pseudonym.conversation_key("rest:amy", SECRET.encode())
    now = datetime.now(timezone.utc)
    with database.unit_of_work(engine) as session:
        old = summaries.add(session, conversation_key=key, facts=FACTS, ttl=timedelta(days=90),
                            now=now - timedelta(days=40)).token
        expired = summaries.add(session, conversation_key=key, facts=FACTS,
                                ttl=timedelta(hours=1), now=now - timedelta(hours=2)).token
        fresh = summaries.add(session, conversation_key=key, facts=FACTS,
                              ttl=timedelta(days=7), now=now).token
    engine.dispose()
    assert cli.main(["purge", "--db", db_url, "--older-than", "30d"]) == 0
    assert "2 summary(ies)" in capsys.readouterr().out
    store = SummaryStore(db_url)
    assert store.get(fresh) is not None
    with store.engine().connect() as connection:
        hashes = set(connection.execute(sa.text("SELECT token_hash FROM summaries")).scalars())
    assert hashes == {summaries.token_hash(fresh)}
    assert summaries.token_hash(old) not in hashes and summaries.token_hash(expired) not in hashes
    store.engine().dispose()


def test_staff_look_a_summary_up_by_its_reference(db_url, capsys):
    store = SummaryStore(db_url)
    _, reference, _, _ = store.create("rest:amy", {**FACTS, "answers": {"severity": "severe"}})
    store.engine().dispose()
    assert cli.main(["cases", "summary", reference.lower(), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert reference in out and "Severe: stops daily activities" in out
    assert cli.main(["cases", "summary", "ZZZZ-ZZZZ", "--db", db_url]) == 1
