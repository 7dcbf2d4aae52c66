"""The staff console's web application (aiohttp, Jinja2 templates): python -m bot.console.

Pages: log in, the inbox (filters, keyset pages), a conversation's transcript (annotate a
message, tag, note, mark reviewed, export as a dialogue file), the annotations (export as NLU
YAML), the dashboard (charts as SVG drawn by bot/console/charts.py) and, for admins, the staff
accounts and the audit trail.

Security, since every page is staff-only health data:
- nothing but /login, /health and the stylesheet answers without a session (bot/console/auth.py);
- every POST carries the session's CSRF token (the login form a double-submit cookie token);
- the session cookie is HttpOnly, SameSite=Strict, and Secure when the console is reached
  over https (directly, or through the nginx of `make cluster` on this host, which says so in
  X-Forwarded-Proto; the header is believed only from a loopback peer);
- templates escape everything (a message with markup is shown as text), and the content
  security policy allows no script at all, no frames, and forms only to the console itself;
- an erased conversation is gone from the index and its URL answers 404;
- every staff action (view, export, annotate, tag, note, review, accounts) is audited.
Database work runs in threads, off the event loop.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import re
import secrets
import time
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import jinja2
import yaml
from aiohttp import web
from sqlalchemy.engine import Engine

from bot.clinical import triage
from bot.console import auth, charts, conversations, exports, reviewing
from bot.console.conversations import Filters, Index
from bot.storage import database, pseudonym

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COOKIE = "console_session"
LOGIN_COOKIE = "console_login"
# New events are indexed at most every 2 s; the whole index is checked for erased
# conversations every 30 s, in the background (0.1-0.6 s at 100,000). The conversations on the
# page shown and the one opened are always checked, so an erased one is never shown.
SYNC_EVERY_SECONDS = 2.0
SWEEP_EVERY_SECONDS = 30.0
# The channels offered in the filter (a scan of the index: 23 ms at 100,000 conversations).
CHANNELS_EVERY_SECONDS = 60.0
# The dashboard's figures serve its page and the four chart requests that follow it.
DASHBOARD_EVERY_SECONDS = 10.0
KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
CHARTS = ("dispositions", "fallbacks", "left", "misunderstood")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY", "Cache-Control": "no-store",
}
PUBLIC = ("/login", "/health", "/static/console.css", "/favicon.ico")



def domain_intents(domain_file: Path, responses_dir: Optional[Path] = None) -> list:
    """The intents staff can choose: the domain's, with a retrieval intent (faq, technique)
    offered as its sub-intents (`faq/strain_healing_time`), as its training data needs."""
    data = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    intents = {name if isinstance(name, str) else next(iter(name))
               for name in data.get("intents") or []}
    responses = set(data.get("responses") or {})
    folder = responses_dir or domain_file.parent / "data" / "responses"
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        responses |= set((yaml.safe_load(path.read_text(encoding="utf-8")) or {})
                         .get("responses") or {})
    retrieval = {}
    for name in responses:
        if name.startswith("utter_") and "/" in name:
            intent, sub = name[len("utter_"):].split("/", 1)
            retrieval.setdefault(intent, set()).add(sub)
    choices = {i for i in intents if i not in retrieval}
    choices |= {f"{i}/{sub}" for i, subs in retrieval.items() if i in intents for sub in subs}
    return sorted(choices)


class Console:
    def __init__(self, index: Index, intents: list, secure_cookie: bool = False):
        self.index = index
        self.db: Engine = index.console
        self.intents = intents
        self.secure_cookie = secure_cookie
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
        self.templates.filters["when"] = lambda m: conversations.as_utc(m).strftime(
            "%Y-%m-%d %H:%M") if m else ""
        self.templates.filters["level"] = lambda v: (v or "none").replace("_", " ")
        self._synced = 0.0
        self._swept = 0.0
        self._channels = (0.0, [])
        self._dashboard = (-DASHBOARD_EVERY_SECONDS, None)
        self._sweeping: Optional[asyncio.Future] = None
        self._sync_lock = asyncio.Lock()

    # ---------------------------------------------------------------- helpers

    async def run(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)

    async def write(self, function, *args, **kwargs):
        """`function(connection, ...)` in one transaction, in a thread."""
        def work():
            with self.db.begin() as connection:
                return function(connection, *args, **kwargs)
        return await asyncio.to_thread(work)

    async def sync(self, force: bool = False) -> None:
        async with self._sync_lock:
            if force or time.monotonic() - self._synced > SYNC_EVERY_SECONDS:
                await self.run(self.index.sync)
                self._synced = time.monotonic()
            if time.monotonic() - self._swept > SWEEP_EVERY_SECONDS and \
                    (self._sweeping is None or self._sweeping.done()):
                # In the background: the request does not wait for it.
                self._swept = time.monotonic()
                self._sweeping = asyncio.ensure_future(self.run(self.index.drop_erased))

    def render(self, request: web.Request, template: str, status: int = 200, **values):
        session = request.get("session")
        text = self.templates.get_template(template).render(
            staff=session.staff if session else None,
            csrf=session.csrf_token if session else "", path=request.path, **values)
        return web.Response(text=text, content_type="text/html", status=status)

    def is_https(self, request: web.Request) -> bool:
        if request.secure or self.secure_cookie:
            return True
        return (_loopback(request.remote)
                and request.headers.get("X-Forwarded-Proto", "").lower() == "https")

    def set_cookie(self, request, response, name, value, max_age):
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Strict",
                            secure=self.is_https(request), path="/")

    @staticmethod
    def client_address(request: web.Request) -> str:
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded and _loopback(request.remote):
            return forwarded.split(",")[0].strip()[:64]
        return (request.remote or "unknown")[:64]

    async def audit(self, request, action, key=None, detail=""):
        await self.write(auth.record, request["session"].staff, action, key, detail)

    # ---------------------------------------------------------------- middleware

    @web.middleware
    async def guard(self, request: web.Request, handler):
        try:
            response = await self._guarded(request, handler)
        except web.HTTPException as error:
            if error.status < 400:  # redirects
                for name, value in HEADERS.items():
                    error.headers.setdefault(name, value)
                raise
            response = self.render(request, "error.html", status=error.status,
                                   message=error.reason)
        except Exception as error:  # noqa: BLE001 - a page, never a stack trace
            # The type and place only: an exception's text may quote a message.
            where = traceback.extract_tb(error.__traceback__)[-1]
            logger.error("console error on %s: %s at %s:%s", request.path,
                         type(error).__name__, where.filename, where.lineno)
            response = self.render(request, "error.html", status=500,
                                   message="Something went wrong; it is in the console's log")
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def _guarded(self, request: web.Request, handler):
        request["session"] = None
        if request.path in PUBLIC:
            return await handler(request)
        token = request.cookies.get(COOKIE)
        session = await self.run(self._session, token)
        if session is None:
            if request.method == "GET":
                raise web.HTTPFound("/login")
            raise web.HTTPUnauthorized(reason="Please log in")
        request["session"] = session
        if request.method == "POST":
            form = await request.post()
            if not auth.csrf_ok(session, form.get("csrf_token")):
                raise web.HTTPForbidden(reason="The form is out of date: reload the page "
                                               "and try again")
            request["form"] = form
        return await handler(request)

    def _session(self, token):
        with self.db.connect() as connection:
            return auth.session_for(connection, token)

    # ---------------------------------------------------------------- log in and out

    async def login_page(self, request: web.Request, message: str = "", status: int = 200):
        if request.method == "GET" and await self.run(self._session,
                                                      request.cookies.get(COOKIE)):
            raise web.HTTPFound("/inbox")
        # One token per browser until it logs in: a second login page (another tab, a
        # redirect) must not invalidate the form of the first.
        token = request.cookies.get(LOGIN_COOKIE, "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{43}", token):
            token = secrets.token_urlsafe(32)
        response = self.render(request, "login.html", status=status, login_csrf=token,
                               message=message)
        self.set_cookie(request, response, LOGIN_COOKIE, token, 3600)
        return response

    async def login(self, request: web.Request):
        form = await request.post()
        expected = request.cookies.get(LOGIN_COOKIE, "")
        given = form.get("csrf_token", "")
        if not expected or not secrets.compare_digest(expected, str(given)):
            return await self.login_page(request, "The form is out of date: please try again.",
                                         status=403)
        name = str(form.get("name", "")).strip()
        password = str(form.get("password", ""))

        def check(connection):
            member = auth.authenticate(connection, name, password,
                                       self.client_address(request))
            if member is None:
                return None
            auth.record(connection, member, "login")
            return auth.open_session(connection, member)

        try:
            token = await self.write(check, )
        except auth.AccountError as error:
            return await self.login_page(request, str(error).capitalize() + ".", status=429)
        if token is None:
            return await self.login_page(request, "Wrong name or password.", status=401)
        response = web.HTTPFound("/inbox")
        self.set_cookie(request, response, COOKIE, token, auth.SESSION_HOURS * 3600)
        response.del_cookie(LOGIN_COOKIE, path="/")
        raise response

    async def logout(self, request: web.Request):
        session = request["session"]

        def close(connection):
            auth.record(connection, session.staff, "logout")
            auth.close_session(connection, session.token_hash)

        await self.write(close)
        response = web.HTTPFound("/login")
        response.del_cookie(COOKIE, path="/")
        raise response

    # ---------------------------------------------------------------- inbox

    async def inbox(self, request: web.Request):
        query = request.query
        try:
            filters = parse_filters(query)
        except ValueError as error:
            raise web.HTTPBadRequest(reason=str(error))
        await self.sync()

        def read():
            with self.db.connect() as connection:
                page = conversations.inbox_page(connection, filters, query.get("after"))
                if time.monotonic() - self._channels[0] > CHANNELS_EVERY_SECONDS:
                    self._channels = (time.monotonic(), conversations.channels(connection))
                return page, self._channels[1], conversations.all_tags(connection)

        page, channels, tags = await self.run(read)
        # Between two syncs, a conversation on this page may just have been erased.
        gone = await self.run(self.index.drop_erased,
                              [row.conversation_key for row in page.rows])
        if gone:
            page, channels, tags = await self.run(read)
        kept = {k: v for k, v in query.items() if k != "after" and v}
        await self.audit(request, "inbox", detail=_describe(kept))
        return self.render(request, "inbox.html", page=page, filters=filters,
                           query=kept, channels=channels, tags=tags,
                           levels=triage.LADDER, questions=triage.FORM_QUESTION_IDS,
                           suggested=reviewing.SUGGESTED_TAGS)

    # ---------------------------------------------------------------- one conversation

    async def _conversation(self, request: web.Request):
        """(key, conversation id, events) or 404, also for an erased conversation."""
        key = request.match_info["key"]
        if not KEY_PATTERN.fullmatch(key):
            raise web.HTTPNotFound(reason="No such conversation")
        conversation_id = await self.run(self.index.conversation_id, key)
        if conversation_id is None:
            await self.sync(force=True)
            conversation_id = await self.run(self.index.conversation_id, key)
        events = await self.run(self.index.events_of, conversation_id) if conversation_id \
            else []
        if not events:
            if conversation_id:
                await self.run(self.index.drop_erased, [key])
            raise web.HTTPNotFound(reason="No such conversation (it may have been erased)")
        return key, conversation_id, events

    async def conversation(self, request: web.Request):
        key, conversation_id, events = await self._conversation(request)
        turns = conversations.transcript(events)

        def read():
            with self.db.connect() as connection:
                return (reviewing.annotations_of(connection, key),
                        reviewing.tags_of(connection, key), reviewing.review_of(connection, key))

        annotated, tags, review = await self.run(read)
        await self.audit(request, "view", key)
        return self.render(request, "conversation.html", key=key, turns=turns,
                           channel=conversations.channel_of(conversation_id),
                           annotated=annotated, tags=tags, review=review,
                           intents=self.intents, suggested=reviewing.SUGGESTED_TAGS,
                           message=request.query.get("message", ""))

    async def annotate(self, request: web.Request):
        key, _, events = await self._conversation(request)
        form = request["form"]
        try:
            event_id = int(form.get("event_id", ""))
        except ValueError:
            raise web.HTTPBadRequest(reason="No message chosen")
        if not any(e.get("_id") == event_id and e.get("event") == "user" for e in events):
            raise web.HTTPBadRequest(reason="That message is not in this conversation")
        try:
            await self.write(reviewing.annotate, request["session"].staff,
                             conversation_key=key, event_id=event_id,
                             text=str(form.get("text", "")), intent=str(form.get("intent", "")),
                             entities_text=str(form.get("entities", "")), intents=self.intents)
        except reviewing.ReviewError as error:
            raise web.HTTPBadRequest(reason=str(error))
        raise web.HTTPSeeOther(f"/conversations/{key}#event-{event_id}")

    async def tag(self, request: web.Request):
        key, _, _ = await self._conversation(request)
        form = request["form"]
        try:
            if form.get("remove"):
                await self.write(reviewing.remove_tag, request["session"].staff, key,
                                 str(form.get("remove")))
            else:
                await self.write(reviewing.add_tag, request["session"].staff, key,
                                 str(form.get("tag", "")))
        except reviewing.ReviewError as error:
            raise web.HTTPBadRequest(reason=str(error))
        raise web.HTTPSeeOther(f"/conversations/{key}")

    async def review(self, request: web.Request):
        key, _, _ = await self._conversation(request)
        form = request["form"]
        if "note" in form:
            await self.write(reviewing.save_review, request["session"].staff, key,
                             note=str(form.get("note", "")))
        else:
            await self.write(reviewing.save_review, request["session"].staff, key,
                             reviewed=form.get("reviewed") == "yes")
        raise web.HTTPSeeOther(f"/conversations/{key}")

    async def dialogue_export(self, request: web.Request):
        key, _, events = await self._conversation(request)
        try:
            text = exports.dialogue_yaml(f"conversation {key[:12]}",
                                         conversations.transcript(events))
        except ValueError as error:
            raise web.HTTPBadRequest(reason=str(error))
        await self.audit(request, "export_dialogue", key)
        return _download(text, f"conversation-{key[:12]}.yml")

    # ---------------------------------------------------------------- annotations

    async def annotations(self, request: web.Request):
        def read():
            with self.db.connect() as connection:
                return reviewing.all_annotations(connection)

        rows = await self.run(read)
        await self.audit(request, "annotations")
        return self.render(request, "annotations.html", rows=rows)

    async def nlu_export(self, request: web.Request):
        def read():
            with self.db.connect() as connection:
                return reviewing.all_annotations(connection)

        rows = await self.run(read)
        await self.audit(request, "export_nlu", detail=f"{len(rows)} annotation(s)")
        return _download(exports.nlu_yaml(rows), "console-annotations.yml")

    # ---------------------------------------------------------------- dashboard

    def _dashboard_data(self, fresh: bool = False):
        """The dashboard's figures: computed afresh for the page, and used again by the four
        chart requests that follow it."""
        if not fresh and time.monotonic() - self._dashboard[0] < DASHBOARD_EVERY_SECONDS:
            return self._dashboard[1]
        self._dashboard = (time.monotonic(), self._compute_dashboard())
        return self._dashboard[1]

    def _compute_dashboard(self):
        today = datetime.now(timezone.utc).date()
        with self.db.connect() as connection:
            table = charts.per_day(connection, today)
            return {"table": table, "left": charts.left_at(connection),
                    "median": charts.median_turns(connection),
                    "misunderstood": charts.misunderstood_this_week(self.index, connection,
                                                                    today)}

    async def dashboard(self, request: web.Request):
        await self.sync()
        data = await self.run(self._dashboard_data, True)
        table = data["table"]
        total = sum(day["total"] for day in table.values())
        fell_back = sum(day["fell_back"] for day in table.values())
        await self.audit(request, "dashboard")
        return self.render(request, "dashboard.html", total=total, fell_back=fell_back,
                           median=data["median"], left=data["left"],
                           misunderstood=data["misunderstood"], charts=CHARTS,
                           stamp=int(time.time()))

    async def chart(self, request: web.Request):
        name = request.match_info["name"]
        if name not in CHARTS:
            raise web.HTTPNotFound()
        data = await self.run(self._dashboard_data)
        draw = {"dispositions": lambda: charts.dispositions_chart(data["table"]),
                "fallbacks": lambda: charts.fallback_chart(data["table"]),
                "left": lambda: charts.left_chart(data["left"]),
                "misunderstood": lambda: charts.misunderstood_chart(data["misunderstood"])}
        body = await self.run(draw[name])
        return web.Response(body=body, content_type="image/svg+xml")

    # ---------------------------------------------------------------- accounts (admins)

    def _admin(self, request):
        if not request["session"].staff.is_admin:
            raise web.HTTPForbidden(reason="Only admins manage staff accounts")

    async def staff_page(self, request: web.Request, message: str = "", status: int = 200):
        self._admin(request)

        def read():
            with self.db.connect() as connection:
                return auth.list_staff(connection), auth.recent_audit(connection)

        members, trail = await self.run(read)
        return self.render(request, "staff.html", status=status, members=members,
                           trail=trail, roles=auth.ROLES, message=message)

    async def staff_change(self, request: web.Request):
        self._admin(request)
        form, me = request["form"], request["session"].staff
        action = form.get("action")
        name = str(form.get("name", "")).strip()

        def change(connection):
            if action == "add":
                member = auth.add_staff(connection, name, str(form.get("role", "")),
                                        str(form.get("password", "")))
                auth.record(connection, me, "staff_add", detail=f"{member.name} ({member.role})")
            elif action in ("disable", "enable"):
                if name == me.name and action == "disable":
                    raise auth.AccountError("you cannot disable your own account")
                auth.set_active(connection, name, action == "enable")
                auth.record(connection, me, f"staff_{action}", detail=name)
            else:
                raise auth.AccountError("unknown action")

        try:
            await self.write(change)
        except auth.AccountError as error:
            return await self.staff_page(request, str(error).capitalize() + ".", status=400)
        raise web.HTTPSeeOther("/staff")

    # ---------------------------------------------------------------- small pages

    async def home(self, _request):
        raise web.HTTPFound("/inbox")

    async def health(self, _request):
        return web.json_response({"status": "ok"})

    async def stylesheet(self, _request):
        return web.Response(body=(HERE / "static" / "console.css").read_bytes(),
                            content_type="text/css")


def _loopback(address: Optional[str]) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _download(text: str, filename: str) -> web.Response:
    return web.Response(text=text, content_type="application/x-yaml", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _describe(query: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(query.items()))[:255]


def parse_filters(query) -> Filters:
    def day(name):
        value = query.get(name, "").strip()
        if not value:
            return None
        try:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        except ValueError:
            raise ValueError(f"{name}: use a date such as 2026-12-01") from None

    below = query.get("below", "").strip()
    try:
        below_value = float(below) if below else None
    except ValueError:
        raise ValueError("confidence: use a number between 0 and 1") from None
    if below_value is not None and not 0 <= below_value <= 1:
        raise ValueError("confidence: use a number between 0 and 1")
    disposition = query.get("disposition") or None
    if disposition and disposition not in triage.LADDER + ("none",):
        raise ValueError("unknown disposition")
    abandoned = query.get("abandoned") or None
    if abandoned and abandoned != "any" and abandoned not in triage.FORM_QUESTION_IDS:
        raise ValueError("unknown question")
    reviewed = {"yes": True, "no": False}.get(query.get("reviewed", ""))
    until = day("until")
    return Filters(disposition=disposition, red_flag=query.get("red_flag") == "yes",
                   channel=query.get("channel") or None, since=day("since"),
                   until=until + timedelta(days=1) if until else None,
                   fell_back=query.get("fell_back") == "yes", below=below_value,
                   abandoned=abandoned, tag=query.get("tag") or None, reviewed=reviewed)


def make_app(tracker_url: Optional[str] = None, console_url: Optional[str] = None,
             secret: Optional[bytes] = None, domain_file: Path = ROOT / "domain.yml",
             secure_cookie: Optional[bool] = None) -> web.Application:
    tracker_url = tracker_url or database.tracker_url()
    console_url = console_url or database.database_url()
    tracker = database.make_engine(tracker_url)
    console = tracker if console_url == tracker_url else database.make_engine(console_url)
    # On SQLite, as the tracker store does: WAL, so a staff action's audit row does not wait
    # for the disk twice (16 -> 2 ms) and readers never block the bot's writes.
    for engine in {tracker, console}:
        database.use_sqlite_wal(engine)
    index = Index(tracker, console, secret or pseudonym.secret())
    if secure_cookie is None:
        secure_cookie = os.environ.get("CONSOLE_SECURE_COOKIE", "").lower() in ("1", "yes",
                                                                                 "true")
    app_state = Console(index, domain_intents(domain_file), secure_cookie)
    app = web.Application(middlewares=[app_state.guard], client_max_size=256 * 1024)
    routes = [
        web.get("/", app_state.home),
        web.get("/health", app_state.health),
        web.get("/favicon.ico", lambda _: web.Response(status=204)),
        web.get("/static/console.css", app_state.stylesheet),
        web.get("/login", app_state.login_page),
        web.post("/login", app_state.login),
        web.post("/logout", app_state.logout),
        web.get("/inbox", app_state.inbox),
        web.get("/conversations/{key}", app_state.conversation),
        web.post("/conversations/{key}/annotate", app_state.annotate),
        web.post("/conversations/{key}/tags", app_state.tag),
        web.post("/conversations/{key}/review", app_state.review),
        web.get("/conversations/{key}/dialogue.yml", app_state.dialogue_export),
        web.get("/annotations", app_state.annotations),
        web.get("/annotations/nlu.yml", app_state.nlu_export),
        web.get("/dashboard", app_state.dashboard),
        web.get("/charts/{name}.svg", app_state.chart),
        web.get("/staff", app_state.staff_page),
        web.post("/staff", app_state.staff_change),
    ]
    app.add_routes(routes)

    async def first_sync(_app):
        # A database with many conversations not yet indexed (the first start) is indexed
        # at once, not at the first staff request (29 s for 100,000 conversations).
        app_state._starting = asyncio.ensure_future(app_state.sync(force=True))

    async def dispose(_app):
        for task in (getattr(app_state, "_starting", None), app_state._sweeping):
            if task is not None and not task.done():
                await asyncio.wait([task], timeout=30)
        tracker.dispose()
        console.dispose()

    app.on_startup.append(first_sync)
    app.on_cleanup.append(dispose)
    return app
