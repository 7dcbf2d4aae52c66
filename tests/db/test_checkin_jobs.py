"""Check-ins in the records database (issue 16), on SQLite and PostgreSQL, with a clock the
tests move instead of sleeping: due only when due, delivered once however many servers look
(two claimers on one database, at the same moment), kept across a "restart" (new engines),
cancelled by "stop check-ins", gone with "delete my data", listed for staff."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.checkin_delivery import CheckInDelivery
from bot.staff import cli
from bot.storage import checkins, database, erasure, pseudonym
from bot.storage.checkin_log import CheckInLog

SECRET = "checkin-test-secret"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("PSEUDONYM_SECRET", SECRET)


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


def test_due_only_after_its_days_then_once_even_after_a_restart(db_url):
    clock = Clock()
    assert CheckInLog(db_url, clock=clock).schedule("rest:amy", "rest", "self_care", days=3)
    clock.now += timedelta(days=3) - timedelta(minutes=1)
    # A "restart": new objects, new engines; the row is all there is.
    assert CheckInDelivery(db_url, clock=clock).claim_for("rest:amy") is None
    clock.now += timedelta(minutes=2)
    delivery = CheckInDelivery(db_url, clock=clock)
    assert delivery.claim_for("rest:bo") is None  # someone else's conversation
    first = delivery.claim_for("rest:amy")
    assert first is not None
    assert CheckInDelivery(db_url, clock=clock).claim_for("rest:amy") is None  # once
    log = CheckInLog(db_url, clock=clock)
    assert log.opened("rest:amy") == {"id": first, "disposition": "self_care", "days_since": 3}
    assert log.answer("rest:amy", "better")["days_since"] == 3
    assert log.opened("rest:amy") is None


def test_only_push_channels_are_polled_and_they_carry_their_recipient(db_url):
    clock = Clock()
    log = CheckInLog(db_url, clock=clock)
    log.schedule("telegram:42", "telegram", "see_doctor", days=14)
    log.schedule("rest:amy", "rest", "self_care", days=3)
    clock.now += timedelta(days=15)
    pushed = CheckInDelivery(db_url, clock=clock).claim_push()
    assert [recipient for _, recipient in pushed] == ["telegram:42"]
    assert CheckInDelivery(db_url, clock=clock).claim_push() == []


def test_two_servers_claiming_at_once_deliver_each_check_in_exactly_once(db_url):
    clock = Clock()
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:
        for n in range(40):
            checkins.schedule(session, conversation_key=f"k{n}", channel="telegram",
                              disposition="self_care", after=timedelta(days=3),
                              recipient=f"telegram:{n}", now=clock.now)
    engine.dispose()
    clock.now += timedelta(days=3)
    servers = [CheckInDelivery(db_url, clock=clock) for _ in range(2)]
    got = [[], []]
    start = threading.Barrier(2)

    def run(index):
        start.wait()
        while True:
            batch = servers[index].claim_push()
            if not batch:
                return
            got[index].extend(recipient for _, recipient in batch)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(got[0] + got[1]) == sorted(f"telegram:{n}" for n in range(40))
    assert not set(got[0]) & set(got[1])


def test_a_claim_whose_server_died_is_delivered_after_the_lease(db_url):
    clock = Clock()
    CheckInLog(db_url, clock=clock).schedule("telegram:7", "telegram", "self_care", days=3)
    clock.now += timedelta(days=3)
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:  # claimed, then the server died
        assert len(checkins.claim(session, now=clock.now, push_only=True)) == 1
    engine.dispose()
    assert CheckInDelivery(db_url, clock=clock).claim_push() == []
    clock.now += checkins.LEASE
    assert [r for _, r in CheckInDelivery(db_url, clock=clock).claim_push()] == ["telegram:7"]


def test_stop_and_erasure_mean_it_never_fires(db_url):
    clock = Clock()
    log = CheckInLog(db_url, clock=clock)
    log.schedule("rest:amy", "rest", "self_care", days=3)
    log.schedule("telegram:9", "telegram", "self_care", days=3)
    assert log.cancel("rest:amy") == 1
    assert erasure.Erasure(db_url, db_url).erase("telegram:9").records == 1
    clock.now += timedelta(days=30)
    delivery = CheckInDelivery(db_url, clock=clock)
    assert delivery.claim_for("rest:amy") is None and delivery.claim_push() == []


def test_a_new_yes_replaces_the_pending_one(db_url):
    clock = Clock()
    log = CheckInLog(db_url, clock=clock)
    log.schedule("rest:amy", "rest", "self_care", days=3)
    log.schedule("rest:amy", "rest", "see_doctor", days=14)
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:
        states = sorted((r.disposition, r.state) for r in checkins.find(session))
    engine.dispose()
    assert states == [("see_doctor", "scheduled"), ("self_care", "cancelled")]


def test_staff_list_check_ins_by_pseudonym_due_time_channel_and_state(db_url, capsys):
    clock = Clock()
    log = CheckInLog(db_url, clock=clock)
    log.schedule("rest:amy", "rest", "self_care", days=3)
    log.schedule("telegram:42", "telegram", "see_doctor", days=14)
    assert cli.main(["checkins", "list", "--db", db_url]) == 0
    out = capsys.readouterr().out
    key = pseudonym.conversation_key("rest:amy", SECRET.encode())
    assert key[:12] in out and "rest:amy" not in out and "telegram:42" not in out
    assert "2026-12-05 12:00" in out and "2026-12-16 12:00" in out
    assert out.count("scheduled") == 2 and "2 check-in(s)" in out
    assert cli.main(["checkins", "list", "--state", "answered", "--db", db_url]) == 0
    assert "no check-ins match" in capsys.readouterr().out


def test_cases_show_lists_the_check_in_answers_of_that_conversation(db_url, capsys):
    from bot.clinical import triage
    from bot.storage import records

    clock = Clock()
    key = pseudonym.conversation_key("rest:amy", SECRET.encode())
    engine = database.make_engine(db_url)
    with database.unit_of_work(engine) as session:
        records.add_record(session, conversation_key=key, turn="t", channel="rest",
                           disposition="self_care", rule="no_flags", red_flags=[], symptoms=[],
                           rules_version=triage.RULES_VERSION)
        record_id = records.find(session)[0].id
    engine.dispose()
    log = CheckInLog(db_url, clock=clock)
    log.schedule("rest:amy", "rest", "self_care", days=3)
    clock.now += timedelta(days=3)
    CheckInDelivery(db_url, clock=clock).claim_for("rest:amy")
    log.answer("rest:amy", "worse")
    assert cli.main(["cases", "show", str(record_id), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "check-ins of this conversation" in out and "answered" in out and "worse" in out
