"""The conversations as staff see them: the console's index of Rasa's tracker table, the
inbox's filters and pages, and one conversation's transcript.

Rasa's SQL tracker store keeps every event of every conversation as a JSON row of `events`
(bot/storage/tracker_tables.py). Filtering 100,000 conversations by what happened in them
cannot read those rows at every page, so `sync` keeps one summary row per conversation in
`console_conversations` (bot/console/schema.py): it reads only the events stored since its
last run (by event id), re-summarises the conversations they belong to, and drops the rows of
conversations whose events are gone (erasure, retention), with their tags, notes and review,
and the conversation link of their annotations. The inbox pages by keyset (newest first,
`last_at, id`) on indexed columns, so a page costs the same at any depth.

A conversation is named in URLs and the audit trail by its pseudonymous key, the keyed hash
the triage records already use (bot/storage/pseudonym.py), never by its sender id.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional

from sqlalchemy import (and_, bindparam, delete, exists, func, insert, literal, not_, or_,
                        select, update)
from sqlalchemy.engine import Connection, Engine

from bot.clinical import triage
from bot.console.schema import (annotations, audit, conversation_tags, conversations,
                                reviews)
from bot.storage import pseudonym, tracker_tables

DISPOSITION_SLOT = "disposition"
FLAGS_SLOT = "flags"
RULE_SLOT = "triage_rule"
TRIAGE_FORM = "triage_form"
# "The bot fell back": the NLU's fallback intent, Rasa's fallback action, or the replies that
# say the message was not understood ("Sorry, I couldn't match that to the question").
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_default_fallback",)
FALLBACK_RESPONSES = ("utter_default", "utter_answer_not_understood")
PAGE_SIZE = 50
SYNC_BATCH = 100_000  # events per step of a sync
OVERLAP = 100  # event ids read again at each sync (see sync)


def _moment(timestamp: Optional[float]) -> datetime:
    return datetime.fromtimestamp(float(timestamp or 0), tz=timezone.utc)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def channel_of(conversation_id: str) -> str:
    """Conversations are `<channel>:<id>` (bot.channels); older ones have no prefix."""
    return conversation_id.split(":", 1)[0][:32] if ":" in conversation_id else "unknown"


def is_fallback(event: dict) -> bool:
    kind = event.get("event")
    if kind == "user":
        return ((event.get("parse_data") or {}).get("intent") or {}).get("name") == \
            FALLBACK_INTENT
    if kind == "action":
        return event.get("name") in FALLBACK_ACTIONS
    if kind == "bot":
        return (event.get("metadata") or {}).get("utter_action") in FALLBACK_RESPONSES
    return False


def summarise(conversation_id: str, events: List[dict]) -> dict:
    """One summary row from a conversation's events, oldest first."""
    disposition = None
    red_flag = fell_back = False
    confidences = []
    user_turns = 0
    turns_to_recommendation = None
    requested = None
    form_active = False
    for event in events:
        kind = event.get("event")
        if kind == "user":
            user_turns += 1
            text = event.get("text") or ""
            intent = (event.get("parse_data") or {}).get("intent") or {}
            if not text.startswith("/") and intent.get("confidence") is not None:
                confidences.append(float(intent["confidence"]))
        elif kind == "slot":
            name, value = event.get("name"), event.get("value")
            if name == DISPOSITION_SLOT and value:
                disposition = value
                if turns_to_recommendation is None:
                    turns_to_recommendation = user_turns
            elif name == FLAGS_SLOT and value:
                red_flag = red_flag or any(flag in triage.FLAG_LEVEL for flag in value)
            elif name == "requested_slot":
                requested = value
        elif kind == "active_loop":
            form_active = event.get("name") == TRIAGE_FORM
            if not form_active:
                requested = None
        fell_back = fell_back or is_fallback(event)
    abandoned = requested if form_active and requested and not disposition else None
    return {
        "conversation_id": conversation_id, "channel": channel_of(conversation_id),
        "started_at": _moment(events[0].get("timestamp")),
        "last_at": _moment(events[-1].get("timestamp")),
        "user_turns": user_turns, "disposition": disposition, "red_flag": red_flag,
        "fell_back": fell_back, "min_confidence": min(confidences) if confidences else None,
        "abandoned_at": (abandoned or None) and str(abandoned)[:32],
        "turns_to_recommendation": turns_to_recommendation,
    }


class Index:
    """The console's view of the conversations: `tracker` holds Rasa's `events`, `console`
    the console's tables (one database by default; they may differ)."""

    def __init__(self, tracker: Engine, console: Engine, secret: bytes):
        self.tracker = tracker
        self.console = console
        self.secret = secret
        self._events_table = None

    def key_of(self, conversation_id: str) -> str:
        return pseudonym.conversation_key(conversation_id, self.secret)

    def _events(self):
        # Reflected once (reflection costs more than an inbox query); Rasa creates the table
        # when its server starts, so until then this asks again.
        if self._events_table is None:
            self._events_table = tracker_tables.events_table(self.tracker)
        return self._events_table

    # ---------------------------------------------------------------- keeping the index

    def sync(self) -> int:
        """Index the events stored since the last sync; the number of conversations
        re-summarised. Erased conversations are found by `drop_erased`."""
        events = self._events()
        if events is None:
            return 0
        changed: set = set()
        while True:
            with self.console.connect() as connection:
                seen = connection.execute(
                    select(func.max(conversations.c.last_event_id))).scalar() or 0
            # A range of the primary key (a GROUP BY made SQLite walk the whole sender index:
            # 80 ms at 100,000 conversations with nothing new). Ids are read again a little
            # before the mark: PostgreSQL can commit a lower id after a higher one.
            with self.tracker.connect() as connection:
                found = list(connection.execute(
                    select(events.c.id, events.c.sender_id)
                    .where(events.c.id > max(0, seen - OVERLAP)).order_by(events.c.id)
                    .limit(SYNC_BATCH + OVERLAP)))
            newest: Dict[str, int] = {}
            for event_id, sender in found:
                newest[sender] = event_id
            indexed = self._indexed_up_to([s for s, i in newest.items() if i <= seen])
            fresh = [s for s, i in newest.items() if i > seen or indexed.get(s, 0) < i]
            if not fresh:
                break
            senders = fresh
            # Up to the batch's last event only, so that the mark never passes an event that
            # a later batch has still to index.
            self._summarise(senders, up_to=found[-1][0])
            changed |= set(fresh)
            if len(found) < SYNC_BATCH + OVERLAP:
                break
        return len(changed)

    def _indexed_up_to(self, senders: List[str]) -> Dict[str, int]:
        if not senders:
            return {}
        with self.console.connect() as connection:
            return dict(connection.execute(
                select(conversations.c.conversation_id, conversations.c.last_event_id)
                .where(conversations.c.conversation_id.in_(senders))).all())

    def _summarise(self, senders: List[str], up_to: int) -> None:
        events = self._events()
        rows: Dict[str, list] = {sender: [] for sender in senders}
        with self.tracker.connect() as connection:
            for start in range(0, len(senders), 500):
                chunk = senders[start:start + 500]
                for sender, event_id, data in connection.execute(
                        select(events.c.sender_id, events.c.id, events.c.data)
                        .where(and_(events.c.sender_id.in_(chunk), events.c.id <= up_to))
                        .order_by(events.c.id)):
                    rows[sender].append((event_id, data))
        summaries = []
        for sender, found in rows.items():
            if found:
                summary = summarise(sender, [json.loads(data) for _, data in found])
                summary["last_event_id"] = found[-1][0]
                summaries.append(summary)
        # Two executemany statements, not one statement per conversation (the first index of
        # 100,000 conversations spent most of its time building statements).
        with self.console.begin() as connection:
            known = set()
            for start in range(0, len(senders), 500):
                known |= {r[0] for r in connection.execute(
                    select(conversations.c.conversation_id).where(
                        conversations.c.conversation_id.in_(senders[start:start + 500])))}
            changed = [dict(s, match_id=s["conversation_id"]) for s in summaries
                       if s["conversation_id"] in known]
            if changed:
                columns = [k for k in summaries[0] if k != "conversation_id"]
                connection.execute(
                    update(conversations)
                    .where(conversations.c.conversation_id == bindparam("match_id"))
                    .values({k: bindparam(k) for k in columns}), changed)
            new = [dict(s, conversation_key=self.key_of(s["conversation_id"]))
                   for s in summaries if s["conversation_id"] not in known]
            if new:
                connection.execute(insert(conversations), new)

    def drop_erased(self, keys: Optional[Iterable[str]] = None) -> List[str]:
        """Forget conversations whose events are gone (all of them, or only `keys`), with
        what staff attached to them; the keys dropped."""
        events = self._events()
        if keys is None and events is not None and self.tracker is self.console:
            # One database: one anti-join over the index (an index probe per conversation).
            with self.console.begin() as connection:
                gone = [r[0] for r in connection.execute(
                    select(conversations.c.conversation_key).where(~exists(
                        select(literal(1)).where(
                            events.c.sender_id == conversations.c.conversation_id))))]
                if gone:
                    forget(connection, gone)
            return gone
        with self.console.connect() as connection:
            query = select(conversations.c.conversation_key, conversations.c.conversation_id)
            if keys is not None:
                query = query.where(conversations.c.conversation_key.in_(list(keys)))
            indexed = {cid: key for key, cid in connection.execute(query)}
        if not indexed:
            return []
        alive = set()
        if events is not None:
            ids = list(indexed)
            with self.tracker.connect() as connection:
                for start in range(0, len(ids), 500):
                    alive |= {row[0] for row in connection.execute(
                        select(events.c.sender_id).where(
                            events.c.sender_id.in_(ids[start:start + 500])).distinct())}
        gone = [indexed[cid] for cid in indexed if cid not in alive]
        if gone:
            with self.console.begin() as connection:
                forget(connection, gone)
        return gone

    # ---------------------------------------------------------------- reading

    def conversation_id(self, key: str) -> Optional[str]:
        with self.console.connect() as connection:
            return connection.execute(select(conversations.c.conversation_id).where(
                conversations.c.conversation_key == key)).scalar()

    def events_of(self, conversation_id: str) -> List[dict]:
        events = self._events()
        if events is None:
            return []
        with self.tracker.connect() as connection:
            rows = connection.execute(select(events.c.id, events.c.data).where(
                events.c.sender_id == conversation_id).order_by(events.c.id))
            return [dict(json.loads(data), _id=event_id) for event_id, data in rows]


def forget(connection: Connection, keys: List[str]) -> None:
    """What the console holds about erased conversations: the index rows, tags and reviews go;
    annotations keep their text and intent without the link; the audit loses the key."""
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        connection.execute(delete(conversations).where(
            conversations.c.conversation_key.in_(chunk)))
        connection.execute(delete(conversation_tags).where(
            conversation_tags.c.conversation_key.in_(chunk)))
        connection.execute(delete(reviews).where(reviews.c.conversation_key.in_(chunk)))
        connection.execute(update(annotations).where(
            annotations.c.conversation_key.in_(chunk)).values(conversation_key=None,
                                                               event_id=None))
        connection.execute(update(audit).where(audit.c.conversation_key.in_(chunk)).values(
            conversation_key=None))


# ---------------------------------------------------------------- the inbox

@dataclass
class Filters:
    disposition: Optional[str] = None  # a level, or "none"
    red_flag: bool = False
    channel: Optional[str] = None
    since: Optional[datetime] = None
    until: Optional[datetime] = None
    fell_back: bool = False
    below: Optional[float] = None  # lowest intent confidence under this
    abandoned: Optional[str] = None  # a question id, or "any"
    tag: Optional[str] = None
    reviewed: Optional[bool] = None

    def conditions(self) -> list:
        c = conversations.c
        found = []
        if self.disposition == "none":
            found.append(c.disposition.is_(None))
        elif self.disposition:
            found.append(c.disposition == self.disposition)
        if self.red_flag:
            found.append(c.red_flag.is_(True))
        if self.channel:
            found.append(c.channel == self.channel)
        if self.since:
            found.append(c.started_at >= self.since)
        if self.until:
            found.append(c.started_at < self.until)
        if self.fell_back:
            found.append(c.fell_back.is_(True))
        if self.below is not None:
            found.append(c.min_confidence < self.below)
        if self.abandoned == "any":
            found.append(c.abandoned_at.is_not(None))
        elif self.abandoned:
            found.append(c.abandoned_at == self.abandoned)
        # Tags and reviews are few: IN lets the database start from them (an EXISTS per row
        # walked all 100,000 conversations when no tag matched: 368 ms, make it 1 ms).
        if self.tag:
            found.append(c.conversation_key.in_(select(conversation_tags.c.conversation_key)
                                                .where(conversation_tags.c.tag == self.tag)))
        if self.reviewed is not None:
            done = c.conversation_key.in_(select(reviews.c.conversation_key)
                                          .where(reviews.c.reviewed.is_(True)))
            found.append(done if self.reviewed else not_(done))
        return found


@dataclass
class Page:
    rows: list
    next_cursor: Optional[str]
    tags: Dict[str, List[str]] = field(default_factory=dict)
    reviewed: set = field(default_factory=set)


def parse_cursor(text: Optional[str]):
    """'<last_at as epoch microseconds>-<id>' of the last row of the previous page."""
    if not text:
        return None
    try:
        micros, row_id = text.split("-", 1)
        return datetime.fromtimestamp(int(micros) / 1e6, tz=timezone.utc), int(row_id)
    except (ValueError, OverflowError, OSError):
        return None


def make_cursor(row) -> str:
    return f"{int(round(as_utc(row.last_at).timestamp() * 1e6))}-{row.id}"


def inbox_page(connection: Connection, filters: Filters, cursor: Optional[str] = None,
               size: int = PAGE_SIZE) -> Page:
    c = conversations.c
    query = select(conversations).where(*filters.conditions()) if filters.conditions() else \
        select(conversations)
    after = parse_cursor(cursor)
    if after:
        moment, row_id = after
        query = query.where(or_(c.last_at < moment, and_(c.last_at == moment, c.id < row_id)))
    rows = list(connection.execute(query.order_by(c.last_at.desc(), c.id.desc())
                                   .limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    page = Page(rows, make_cursor(rows[-1]) if more else None)
    keys = [r.conversation_key for r in rows]
    if keys:
        for key, tag in connection.execute(select(
                conversation_tags.c.conversation_key, conversation_tags.c.tag).where(
                conversation_tags.c.conversation_key.in_(keys))):
            page.tags.setdefault(key, []).append(tag)
        page.reviewed = {key for (key,) in connection.execute(select(
            reviews.c.conversation_key).where(and_(reviews.c.conversation_key.in_(keys),
                                                   reviews.c.reviewed.is_(True))))}
    return page


def channels(connection: Connection) -> List[str]:
    return [r[0] for r in connection.execute(
        select(conversations.c.channel).distinct().order_by(conversations.c.channel))]


def all_tags(connection: Connection) -> List[str]:
    return [r[0] for r in connection.execute(
        select(conversation_tags.c.tag).distinct().order_by(conversation_tags.c.tag))]


# ---------------------------------------------------------------- one conversation

@dataclass
class Turn:
    """One user message and what followed it until the next one."""
    event_id: Optional[int]
    at: datetime
    text: Optional[str]  # None for the bot's turns before the first message
    intent: Optional[str] = None
    confidence: Optional[float] = None
    entities: list = field(default_factory=list)
    fell_back: bool = False
    replies: list = field(default_factory=list)  # {"text", "buttons", "custom", "response"}
    slots: list = field(default_factory=list)  # (name, value) set in this turn
    flags: list = field(default_factory=list)
    rule: Optional[str] = None
    disposition: Optional[str] = None


SHOWN_SLOTS = {DISPOSITION_SLOT, FLAGS_SLOT, RULE_SLOT, "requested_slot", "symptoms"} | \
    set(triage.FORM_QUESTION_IDS)


def transcript(events: List[dict]) -> List[Turn]:
    turns: List[Turn] = []
    current = None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            current = Turn(event_id=event.get("_id"), at=_moment(event.get("timestamp")),
                           text=event.get("text") or "", intent=intent.get("name"),
                           confidence=intent.get("confidence"),
                           entities=list(parse.get("entities") or []),
                           fell_back=is_fallback(event))
            turns.append(current)
            continue
        if current is None and kind in ("bot", "slot"):
            current = Turn(event_id=None, at=_moment(event.get("timestamp")), text=None)
            turns.append(current)
        if kind == "bot":
            data = event.get("data") or {}
            current.replies.append({
                "text": event.get("text") or "", "buttons": data.get("buttons") or [],
                "custom": data.get("custom"),
                "response": (event.get("metadata") or {}).get("utter_action")})
            current.fell_back = current.fell_back or is_fallback(event)
        elif kind == "action" and current is not None:
            current.fell_back = current.fell_back or is_fallback(event)
        elif kind == "slot":
            name, value = event.get("name"), event.get("value")
            if name == FLAGS_SLOT:
                current.flags = list(value or [])
            elif name == RULE_SLOT:
                current.rule = value
            elif name == DISPOSITION_SLOT:
                current.disposition = value
            if name in SHOWN_SLOTS:
                current.slots.append((name, value))
    return turns
