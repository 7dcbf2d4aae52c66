"""The staff console's security and data rules, on a real database (SQLite and PostgreSQL)
with conversations stored by the project's own tracker store, through the real aiohttp app.

What the issue asks to be tested: no page or export without a session, CSRF rejected, a
reviewer cannot manage accounts, a message with markup is shown as text, an erased
conversation's URL gives 404 (and the conversation leaves the inbox, its tags go, its
annotations keep only their text), and the login lock-out. Also: the inbox's filters and
keyset pages, cookie flags, a disabled account's session, and the audit trail.
"""
import asyncio
import re
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, SessionStarted,
                                     SlotSet, UserUttered)

from bot.console import app as console_app
from bot.console import auth
from bot.storage import database, erasure, pseudonym, tracker_tables
from bot.storage.tracker_store import ErasableSQLTrackerStore
from tests.conftest import migrate

DOMAIN = Domain.load(str(Path(__file__).parents[2] / "domain.yml"))
SECRET = "console-test-secret"
PASSWORD = "a-long-staff-password"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("PSEUDONYM_SECRET", SECRET)


def key(sender):
    return pseudonym.conversation_key(sender, SECRET.encode())


def user(text, intent, confidence, entities=()):
    return UserUttered(text, parse_data={"intent": {"name": intent, "confidence": confidence},
                                         "entities": list(entities), "text": text})


def bot(text, response, buttons=None, custom=None):
    return BotUttered(text, data={"buttons": buttons, "custom": custom},
                      metadata={"utter_action": response})


CONVERSATIONS = {
    # a fallback
    "rest:fallback": [user("blorp the flange", "nlu_fallback", 0.21),
                      ActionExecuted("action_handle_unclear"),
                      bot("Sorry, I didn't understand that.", "utter_default")],
    # a self-care result, with a message full of markup
    "rest:selfcare": [user(XSS, "report_symptom", 0.93,
                           [{"entity": "red_flag", "value": "saddle_numbness",
                             "role": "negated", "start": 0, "end": 3}]),
                      SlotSet("flags", []), SlotSet("triage_rule", "default_self_care"),
                      SlotSet("disposition", "self_care"),
                      bot("Self-care should help.", "utter_self_care",
                          custom={"disposition": "self_care", "emergency_number": "999"})],
    # left in the middle of the questions, with a red flag
    "socketio:abc": [user("my back hurts", "report_symptom", 0.44),
                     ActiveLoop("triage_form"), SlotSet("flags", ["fever"]),
                     SlotSet("requested_slot", "em_cauda_equina"),
                     bot("Any numbness around your groin?", "utter_ask_em_cauda_equina",
                         buttons=[{"title": "Yes", "payload": "/affirm"}])],
}


def store_conversations(url, conversations=CONVERSATIONS):
    store = ErasableSQLTrackerStore(domain=DOMAIN, dialect=url.split(":")[0].split("+")[0],
                                    host=url, db=url.rsplit("/", 1)[-1])
    for sender, events in conversations.items():
        tracker = asyncio.run(store.get_or_create_tracker(sender, append_action_listen=False))
        tracker.update_with_events([SessionStarted(), ActionExecuted("action_listen")]
                                   + list(events) + [ActionExecuted("action_listen")], DOMAIN)
        asyncio.run(store.save(tracker))
    store.engine.dispose()


def add_account(url, name, role):
    engine = database.make_engine(url)
    with engine.begin() as connection:
        auth.add_staff(connection, name, role, PASSWORD)
    engine.dispose()


def prepare(url):
    store_conversations(url)
    add_account(url, "admin1", "admin")
    add_account(url, "rev1", "reviewer")
    return url


@pytest.fixture
def stored(tmp_path):
    """SQLite: the web layer's tests."""
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(url)
    return prepare(url)


@pytest.fixture
def stored_both(db_url):
    """SQLite and PostgreSQL: the tests of what the queries find and forget."""
    return prepare(db_url)


async def open_client(url):
    return TestClient(TestServer(console_app.make_app(url, url, SECRET.encode())))


@pytest_asyncio.fixture
async def client(stored):
    async with await open_client(stored) as test_client:
        yield test_client


@pytest_asyncio.fixture
async def client_both(stored_both):
    async with await open_client(stored_both) as test_client:
        yield test_client


async def log_in(client, name="rev1", password=PASSWORD, headers=None):
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)
    return await client.post("/login", data={"csrf_token": token, "name": name,
                                             "password": password},
                             allow_redirects=False, headers=headers)


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def test_nothing_without_a_session(client):
    conversation = key("rest:selfcare")
    for path in ["/", "/inbox", f"/conversations/{conversation}",
                 f"/conversations/{conversation}/dialogue.yml", "/annotations",
                 "/annotations/nlu.yml", "/dashboard", "/charts/dispositions.svg", "/staff"]:
        response = await client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/login", path
        assert "selfcare" not in await response.text()
    for path in [f"/conversations/{conversation}/annotate", f"/conversations/{conversation}/tags",
                 "/staff", "/logout"]:
        response = await client.post(path, data={"tag": "x"}, allow_redirects=False)
        assert response.status == 401, path
    # a made-up cookie is no session
    client.session.cookie_jar.update_cookies({"console_session": "made-up"})
    response = await client.get("/inbox", allow_redirects=False)
    assert response.status == 302


async def test_login_sets_a_safe_cookie_and_logout_ends_the_session(client):
    response = await log_in(client)
    assert response.status == 302 and response.headers["Location"] == "/inbox"
    cookie = response.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("console_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
    assert "Secure" not in session_cookie  # plain http on loopback
    inbox = await client.get("/inbox")
    assert inbox.status == 200
    assert inbox.headers["Content-Security-Policy"].startswith("default-src 'none'")
    await client.post("/logout", data={"csrf_token": csrf_of(await inbox.text())},
                      allow_redirects=False)
    assert (await client.get("/inbox", allow_redirects=False)).status == 302


async def test_the_cookie_is_secure_behind_https(client):
    response = await log_in(client, headers={"X-Forwarded-Proto": "https"})
    session_cookie = next(c for c in response.headers.getall("Set-Cookie")
                          if c.startswith("console_session="))
    assert "Secure" in session_cookie


async def test_wrong_password_and_the_lock_out(client, stored):
    for _ in range(auth.LOCK_AFTER):
        response = await log_in(client, password="wrong password!")
        assert response.status == 401
        assert "console_session" not in response.cookies
    # now even the right password is refused, for this name and from this address
    response = await log_in(client, password=PASSWORD)
    assert response.status == 429 and "too many failed logins" in (await response.text()).lower()
    response = await log_in(client, name="admin1", password=PASSWORD)
    assert response.status == 429


async def test_csrf_is_checked_on_every_form(client, stored):
    await log_in(client)
    conversation = key("rest:fallback")
    page = await client.get(f"/conversations/{conversation}")
    event_id = re.search(r'name="event_id" value="(\d+)"', await page.text()).group(1)
    form = {"event_id": event_id, "text": "blorp the flange", "intent": "out_of_scope",
            "entities": ""}
    for token in (None, "wrong-token"):
        data = dict(form, **({"csrf_token": token} if token else {}))
        response = await client.post(f"/conversations/{conversation}/annotate", data=data,
                                     allow_redirects=False)
        assert response.status == 403
    for path, data in [(f"/conversations/{conversation}/tags", {"tag": "misunderstood"}),
                       (f"/conversations/{conversation}/review", {"reviewed": "yes"})]:
        assert (await client.post(path, data=data, allow_redirects=False)).status == 403
    engine = database.make_engine(stored)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM console_annotations")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM console_tags")).scalar() == 0
    engine.dispose()
    # with the token, it works
    response = await client.post(f"/conversations/{conversation}/annotate",
                                 data=dict(form, csrf_token=csrf_of(await page.text())),
                                 allow_redirects=False)
    assert response.status == 303
    # the login form has its own token (a cookie and the form must agree)
    client.session.cookie_jar.clear()
    response = await client.post("/login", data={"name": "rev1", "password": PASSWORD,
                                                 "csrf_token": "guess"}, allow_redirects=False)
    assert response.status == 403


async def test_a_reviewer_cannot_manage_accounts(client, stored):
    await log_in(client)
    page = await client.get("/inbox")
    assert 'href="/staff"' not in await page.text()
    assert (await client.get("/staff")).status == 403
    response = await client.post("/staff", data={
        "csrf_token": csrf_of(await page.text()), "action": "add", "name": "mallory",
        "role": "admin", "password": PASSWORD}, allow_redirects=False)
    assert response.status == 403
    engine = database.make_engine(stored)
    with engine.connect() as connection:
        assert [m.name for m in auth.list_staff(connection)] == ["admin1", "rev1"]
    engine.dispose()


async def test_an_admin_manages_accounts_and_a_disabled_account_is_logged_out(stored):
    application = console_app.make_app(stored, stored, SECRET.encode())
    async with TestClient(TestServer(application)) as admin, \
            TestClient(TestServer(console_app.make_app(stored, stored, SECRET.encode()))) as rev:
        await log_in(admin, "admin1")
        await log_in(rev, "rev1")
        assert (await rev.get("/inbox")).status == 200
        page = await admin.get("/staff")
        assert page.status == 200
        token = csrf_of(await page.text())
        response = await admin.post("/staff", data={"csrf_token": token, "action": "disable",
                                                    "name": "rev1"}, allow_redirects=False)
        assert response.status == 303
        assert (await rev.get("/inbox", allow_redirects=False)).status == 302
        trail = await (await admin.get("/staff")).text()
        assert "staff_disable" in trail


async def test_a_message_with_markup_is_shown_as_text(client):
    await log_in(client)
    response = await client.get(f"/conversations/{key('rest:selfcare')}")
    html = await response.text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "script-src" not in response.headers["Content-Security-Policy"]  # no script at all
    # the transcript shows the NLU's reading with roles, and the rule
    assert "red_flag=saddle_numbness" in html and "(negated)" in html
    assert "default_self_care" in html
    # the sender is shown only as its pseudonymous key
    assert "rest:selfcare" not in html and key("rest:selfcare") in html


async def test_the_inbox_filters(client_both):
    client = client_both
    await log_in(client)

    async def keys(query):
        html = await (await client.get(f"/inbox?{query}")).text()
        return set(re.findall(r'href="/conversations/([0-9a-f]{64})"', html))

    everyone = {key(s) for s in CONVERSATIONS}
    assert await keys("") == everyone
    assert await keys("fell_back=yes") == {key("rest:fallback")}
    assert await keys("disposition=self_care") == {key("rest:selfcare")}
    assert await keys("disposition=none") == {key("rest:fallback"), key("socketio:abc")}
    assert await keys("red_flag=yes") == {key("socketio:abc")}
    assert await keys("channel=socketio") == {key("socketio:abc")}
    assert await keys("below=0.5") == {key("rest:fallback"), key("socketio:abc")}
    assert await keys("abandoned=em_cauda_equina") == {key("socketio:abc")}
    assert await keys("abandoned=any") == {key("socketio:abc")}
    assert await keys("reviewed=no") == everyone
    assert await keys("since=2000-01-01&until=2000-01-02") == set()
    assert (await client.get("/inbox?below=lots")).status == 400


async def test_pages_are_keyset_pages(client, stored, monkeypatch):
    from bot.console import conversations
    monkeypatch.setattr(conversations, "PAGE_SIZE", 2)
    monkeypatch.setattr(conversations.inbox_page, "__defaults__", (None, 2))
    await log_in(client)
    html = await (await client.get("/inbox")).text()
    first = re.findall(r'href="/conversations/([0-9a-f]{64})"', html)
    after = re.search(r'after=([0-9]+-[0-9]+)', html).group(1)
    html = await (await client.get(f"/inbox?after={after}")).text()
    second = re.findall(r'href="/conversations/([0-9a-f]{64})"', html)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert "after=" not in html


async def test_an_erased_conversation_is_gone(client_both, stored_both):
    client, stored = client_both, stored_both
    await log_in(client)
    conversation = key("rest:fallback")
    page = await client.get(f"/conversations/{conversation}")
    assert page.status == 200
    token = csrf_of(await page.text())
    event_id = re.search(r'name="event_id" value="(\d+)"', await page.text()).group(1)
    await client.post(f"/conversations/{conversation}/tags",
                      data={"csrf_token": token, "tag": "misunderstood"})
    await client.post(f"/conversations/{conversation}/annotate", data={
        "csrf_token": token, "event_id": event_id, "text": "blorp the flange",
        "intent": "out_of_scope", "entities": ""})
    # the person says "delete my data"
    outcome = erasure.Erasure(stored, stored).erase("rest:fallback")
    assert outcome.response == erasure.ALL_ERASED
    assert (await client.get(f"/conversations/{conversation}")).status == 404
    assert (await client.get(f"/conversations/{conversation}/dialogue.yml")).status == 404
    html = await (await client.get("/inbox")).text()
    assert conversation not in html
    engine = database.make_engine(stored)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM console_tags")).scalar() == 0
        assert connection.execute(sa.text(
            "SELECT count(*) FROM console_conversations WHERE conversation_key = :k"),
            {"k": conversation}).scalar() == 0
        kept = connection.execute(sa.text(
            "SELECT text, intent, conversation_key, event_id FROM console_annotations")).all()
        assert [tuple(row) for row in kept] == [("blorp the flange", "out_of_scope", None, None)]
        assert connection.execute(sa.text(
            "SELECT count(*) FROM staff_audit WHERE conversation_key = :k"),
            {"k": conversation}).scalar() == 0
    engine.dispose()
    export = await (await client.get("/annotations/nlu.yml")).text()
    assert "blorp the flange" in export and "rest:" not in export


async def test_an_erased_conversation_leaves_the_inbox_between_syncs(client_both, stored_both):
    client, stored = client_both, stored_both
    await log_in(client)
    assert key("socketio:abc") in await (await client.get("/inbox")).text()
    engine = database.make_engine(stored)
    tracker_tables.erase_sender(engine, "socketio:abc")  # as retention's purge does
    engine.dispose()
    assert key("socketio:abc") not in await (await client.get("/inbox")).text()


async def test_staff_actions_are_audited(client, stored):
    await log_in(client)
    conversation = key("rest:selfcare")
    await client.get(f"/conversations/{conversation}")
    await client.get(f"/conversations/{conversation}/dialogue.yml")
    await client.get("/annotations/nlu.yml")
    engine = database.make_engine(stored)
    with engine.connect() as connection:
        actions = [tuple(r) for r in connection.execute(sa.text(
            "SELECT staff_name, action, conversation_key FROM staff_audit ORDER BY id"))]
    engine.dispose()
    assert ("rev1", "login", None) in actions
    assert ("rev1", "view", conversation) in actions
    assert ("rev1", "export_dialogue", conversation) in actions
    assert ("rev1", "export_nlu", None) in actions


def test_the_index_follows_new_events_in_batches_and_late_commits(tmp_path, monkeypatch):
    """Small batches never skip an event; an event committed late with a lower id (as
    PostgreSQL's sequences allow) is still indexed."""
    import json

    from rasa.core.tracker_store import SQLTrackerStore

    from bot.console import conversations

    url = f"sqlite:///{tmp_path / 'index.db'}"
    migrate(url)
    engine = database.make_engine(url)
    table = SQLTrackerStore.SQLEvent.__table__
    table.create(engine)

    def add(event_id, sender, event):
        with engine.begin() as connection:
            connection.execute(sa.insert(table).values(
                id=event_id, sender_id=sender, type_name=event["event"],
                timestamp=event.get("timestamp", 1.0), data=json.dumps(event)))

    turn = {"event": "user", "timestamp": 1.0, "text": "hi",
            "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}}
    for n in range(1, 31):  # three conversations, interleaved
        add(n, f"rest:{n % 3}", dict(turn, timestamp=float(n)))
    monkeypatch.setattr(conversations, "SYNC_BATCH", 7)
    monkeypatch.setattr(conversations, "OVERLAP", 3)
    index = conversations.Index(engine, engine, SECRET.encode())
    assert index.sync() == 3
    with engine.connect() as connection:
        rows = {r.conversation_id: (r.user_turns, r.last_event_id) for r in connection.execute(
            sa.select(conversations.conversations))}
    assert rows == {"rest:0": (10, 30), "rest:1": (10, 28), "rest:2": (10, 29)}
    add(40, "rest:1", dict(turn, timestamp=40.0))
    add(35, "rest:2", {"event": "slot", "timestamp": 35.0, "name": "disposition",
                       "value": "urgent"})  # committed after id 40
    assert index.sync() == 2
    with engine.connect() as connection:
        level = connection.execute(sa.select(conversations.conversations.c.disposition).where(
            conversations.conversations.c.conversation_id == "rest:2")).scalar()
    assert level == "urgent"
    assert index.sync() == 0
    engine.dispose()


def test_the_command_line_manages_accounts_and_exports_annotations(tmp_path, monkeypatch,
                                                                   capsys):
    from bot.staff import cli

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(url)
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)
    assert cli.main(["staff", "add", "lead", "--role", "admin", "--db", url]) == 0
    monkeypatch.setenv("STAFF_PASSWORD", "too short")
    assert cli.main(["staff", "add", "sam", "--role", "reviewer", "--db", url]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert cli.main(["staff", "disable", "lead", "--db", url]) == 0
    assert cli.main(["staff", "list", "--db", url]) == 0
    assert re.search(r"lead\s+admin\s+disabled", capsys.readouterr().out)
    engine = database.make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO console_annotations (text, intent, entities, created_at) "
            "VALUES ('numb bum since monday', 'report_red_flag', '[]', '2026-12-01 10:00:00.000000')"))
        trail = connection.execute(sa.text("SELECT action FROM staff_audit")).scalars().all()
    engine.dispose()
    assert trail == ["staff_add", "staff_disable"]
    out = tmp_path / "nlu.yml"
    assert cli.main(["annotations", "export", "-o", str(out), "--db", url]) == 0
    assert "- intent: report_red_flag\n  examples: |\n    - numb bum since monday\n" in \
        out.read_text()
