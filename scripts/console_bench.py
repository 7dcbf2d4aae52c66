"""The staff console's inbox at scale: seed N conversations, index them, time the pages.

    .venv/bin/python scripts/console_bench.py [--conversations 100000] [--db URL]

Seeds Rasa's `events` table (its own schema, from rasa.core.tracker_store) with N synthetic
conversations of 8 to 12 events each (a mix of recommendations, fallbacks, red flags, low
confidence and triages left half-way, over 30 days), migrates the console's tables, times
the first index of them (bot.console.conversations.Index.sync), then times the inbox: the
query of one page (50 rows) newest first, 40 pages deep, under each filter, and the whole
HTTP request of a page (session check, sync check, erased-row check, rendering) through
the real aiohttp application. Prints one line per measurement (median of 7 runs, ms) and
one JSON object last. The database is dropped and made afresh (default: an SQLite file
under var/; a PostgreSQL URL works too, its database is created if missing).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

SECRET = b"console-bench-secret"
LEVELS = ("self_care", "see_doctor", "urgent", "emergency")
QUESTIONS = ("em_cauda_equina", "em_legs", "ur_fever", "severity", "duration", "age_band")
CHANNELS = ("rest", "socketio", "telegram")


def conversation(rng: random.Random, number: int, now: float):
    """(sender id, [event dicts]) of one synthetic conversation."""
    sender = f"{CHANNELS[number % 3]}:bench-{number}"
    start = now - rng.uniform(0, 30 * 86400)
    clock = [start]

    def at():
        clock[0] += rng.uniform(2, 40)
        return clock[0]

    def user(text, intent, confidence):
        return {"event": "user", "timestamp": at(), "text": text,
                "parse_data": {"intent": {"name": intent, "confidence": confidence},
                               "entities": [], "text": text}}

    def bot(text, response, custom=None):
        return {"event": "bot", "timestamp": at(), "text": text,
                "data": {"buttons": None, "custom": custom},
                "metadata": {"utter_action": response}}

    def slot(name, value):
        return {"event": "slot", "timestamp": at(), "name": name, "value": value}

    events = [{"event": "session_started", "timestamp": at()},
              user("my back hurts after leg press", "report_symptom", rng.uniform(0.3, 1.0)),
              {"event": "active_loop", "timestamp": at(), "name": "triage_form"},
              slot("requested_slot", "em_cauda_equina"),
              bot("Since your back pain started, have you had any of these?",
                  "utter_ask_em_cauda_equina")]
    if rng.random() < 0.12:
        events += [user("blorp", "nlu_fallback", rng.uniform(0.1, 0.3)),
                   bot("Sorry, I couldn't match that to the question.",
                       "utter_answer_not_understood")]
    if rng.random() < 0.06:
        events.append(slot("flags", ["fever"]))
    if rng.random() < 0.2:  # left half-way
        events.append(slot("requested_slot", rng.choice(QUESTIONS)))
    else:
        level = rng.choice(LEVELS)
        events += [user("/deny", "deny", 1.0), slot("requested_slot", None),
                   {"event": "active_loop", "timestamp": at(), "name": None},
                   slot("disposition", level),
                   bot("Here is what to do.", "utter_result",
                       {"disposition": level, "emergency_number": "112"})]
    return sender, events


def seed(url: str, count: int) -> float:
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.storage import database
    from tests.conftest import migrate

    engine = database.make_engine(url)
    SQLTrackerStore.SQLEvent.__table__.create(engine)
    migrate(url)
    table = SQLTrackerStore.SQLEvent.__table__
    rng = random.Random(17)
    now = time.time()
    started = time.monotonic()
    rows = []
    with engine.begin() as connection:
        for number in range(count):
            sender, events = conversation(rng, number, now)
            rows += [{"sender_id": sender, "type_name": e["event"], "timestamp": e["timestamp"],
                      "intent_name": (e.get("parse_data") or {}).get("intent", {}).get("name"),
                      "action_name": None, "data": json.dumps(e)} for e in events]
            if len(rows) >= 20_000:
                connection.execute(sa.insert(table), rows)
                rows = []
        if rows:
            connection.execute(sa.insert(table), rows)
    with engine.connect() as connection:
        total = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
    engine.dispose()
    print(f"seeded {count} conversations, {total} events in {time.monotonic() - started:.1f} s",
          flush=True)
    return total


def fresh_database(url: str) -> str:
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database).unlink(missing_ok=True)
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return url
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT",
                             future=True)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def median_ms(function, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def analyze(engine) -> None:
    """Planner statistics, as a running database has them (PostgreSQL's autovacuum would
    gather them in a while; without them it plans the fresh tables as if empty)."""
    import sqlalchemy as sa

    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))


def measure_queries(url: str) -> dict:
    from bot.console import conversations
    from bot.console.conversations import Filters, Index
    from bot.storage import database

    engine = database.make_engine(url)
    index = Index(engine, engine, SECRET)
    started = time.monotonic()
    indexed = index.sync()
    figures = {"first_sync_s": round(time.monotonic() - started, 1), "indexed": indexed}
    print(f"first index of {indexed} conversations: {figures['first_sync_s']} s", flush=True)
    analyze(engine)
    figures["sync_nothing_new_ms"] = median_ms(index.sync)
    print(f"sync with nothing new (an inbox request, at most every 2 s): "
          f"{figures['sync_nothing_new_ms']} ms", flush=True)
    figures["sweep_ms"] = median_ms(index.drop_erased, runs=3)
    print(f"check the whole index for erased conversations (at most every 30 s): "
          f"{figures['sweep_ms']} ms", flush=True)

    def page(filters, cursor=None):
        with engine.connect() as connection:
            return conversations.inbox_page(connection, filters, cursor)

    deep = None
    for _ in range(40):
        deep = page(Filters(), deep.next_cursor if deep else None)
    week_ago = datetime.now(timezone.utc) - timedelta(days=7)
    cases = {
        "newest": (Filters(), None),
        "40 pages deep": (Filters(), deep.next_cursor),
        "fell back": (Filters(fell_back=True), None),
        "emergency": (Filters(disposition="emergency"), None),
        "red flag": (Filters(red_flag=True), None),
        "confidence < 0.4": (Filters(below=0.4), None),
        "left at severity": (Filters(abandoned="severity"), None),
        "telegram, last 7 days": (Filters(channel="telegram", since=week_ago), None),
        "not reviewed": (Filters(reviewed=False), None),
        "tag 'misunderstood'": (Filters(tag="misunderstood"), None),
    }
    shown = [row.conversation_key for row in page(Filters()).rows]
    figures["page_erased_check_ms"] = median_ms(lambda: index.drop_erased(shown))
    print(f"check the 50 conversations of a page for erasure (every request): "
          f"{figures['page_erased_check_ms']} ms", flush=True)
    figures["page_ms"] = {}
    for name, (filters, cursor) in cases.items():
        rows = len(page(filters, cursor).rows)
        figures["page_ms"][name] = median_ms(lambda: page(filters, cursor))
        print(f"page query, {name}: {figures['page_ms'][name]} ms ({rows} rows)", flush=True)
    engine.dispose()
    return figures


def measure_http(url: str) -> dict:
    import re

    from aiohttp.test_utils import TestClient, TestServer

    from bot.console import app, auth
    from bot.storage import database

    engine = database.make_engine(url)
    with engine.begin() as connection:
        auth.add_staff(connection, "bench", "reviewer", "bench-password-long")
    engine.dispose()

    async def run():
        async with TestClient(TestServer(app.make_app(url, url, SECRET))) as client:
            page = await client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
            await client.post("/login", data={"csrf_token": token, "name": "bench",
                                              "password": "bench-password-long"})
            results = {}
            for name, query in [("newest", ""), ("fell back", "fell_back=yes"),
                                ("emergency, not reviewed", "disposition=emergency&reviewed=no")]:
                times = []
                for _ in range(7):
                    started = time.perf_counter()
                    response = await client.get(f"/inbox?{query}")
                    await response.text()
                    assert response.status == 200
                    times.append((time.perf_counter() - started) * 1000)
                results[name] = round(statistics.median(times), 1)
                print(f"HTTP GET /inbox?{query}: {results[name]} ms", flush=True)
            return results

    return {"http_ms": asyncio.run(run())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'var' / 'console-bench.db'}")
    args = parser.parse_args(argv)
    url = fresh_database(args.db)
    events = seed(url, args.conversations)
    figures = {"conversations": args.conversations, "events": events,
               "database": url.split(":", 1)[0]}
    figures.update(measure_queries(url))
    figures.update(measure_http(url))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
