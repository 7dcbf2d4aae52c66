"""Rasa's SQL tracker store, with erasure on request and the last conversations kept in memory.

Erasure (bot/storage/erasure.py): the erase action deletes the records and the stored
conversation in the action server, and tells the person what it deleted. The conversation
itself is held by this server, which saves it after the turn: a turn in which the person was
told that everything is deleted stores nothing (and deletes any row that is still there);
otherwise the turn is saved as usual, so a failed or partial erasure leaves the conversation
as the person was told.

What a save stores: the tracker's events that the database does not hold yet. Rasa counts the
stored rows of the latest session and skips that many events of the tracker, which is right
only when the tracker begins where the stored session begins. A tracker can reach save with
older events in front (a session started in this turn, or a tracker kept across sessions), so
the count is aligned on the tracker's own events: those older than the stored session's start
are skipped too. Every save goes through this one path, with or without a kept tracker, and
with an event broker the very events stored are the ones published (once, even when a save is
retried after a commit whose answer was lost).

Speed (make bench; docs/benchmarks.md): a conversation this server saved is kept in memory
(bot/storage/recent_trackers.py) and used again for its next message when the database still
holds exactly what was saved, checked by one indexed query instead of reading and replaying
every event. Only a tracker that holds exactly the latest session is kept, so a kept tracker
is the same as the one any server would read. SQLite connections are pooled (SQLAlchemy 1.4
opens and closes a file connection per query otherwise, and closing one in WAL mode
checkpoints the log).
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.rasa_patches import speedups
from bot.storage import database
from bot.storage.erasure import ALL_ERASED, ERASE_ACTION
from bot.storage.recent_trackers import RecentTrackers, size_from_environment

speedups.install()


def erased_in_this_turn(tracker) -> bool:
    """Whether, since the latest user message, the erase action ran and told the person that
    the conversation and its records are deleted (it says so only once they are)."""
    told = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get(
                "utter_action") == ALL_ERASED:
            told = True
        if isinstance(event, ActionExecuted) and event.action_name == ERASE_ACTION:
            return told
    return False


def latest_session_start(events) -> "float | None":
    """The timestamp Rasa reads the latest session from (its newest SessionStarted)."""
    starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
    return max(starts) if starts else None


def holds_one_session(tracker) -> bool:
    """Whether the tracker holds what Rasa's retrieve would read: its latest session only."""
    start = latest_session_start(tracker.events)
    return start is None or all(event.timestamp >= start for event in tracker.events)


def is_sqlite_file(url: sa.engine.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


class ErasableSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, **self.engine_options(url))
        database.use_sqlite_wal(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine)
        self.recent = RecentTrackers(size_from_environment())
        self._statements = self._queries()

    def _queries(self) -> dict:
        """The two queries of every turn, built once: a Core statement with bound parameters
        keeps its cache key, where an ORM query built per call spent more time making one
        (and its SQL) than SQLite spent running it (py-spy at 8 users: 15 % of the server's
        event loop, docs/benchmarks-notes.md)."""
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        start = (sa.select(sa.func.max(table.c.timestamp))
                 .where(table.c.sender_id == sender,
                        table.c.type_name == SessionStarted.type_name)
                 .scalar_subquery())
        return {
            "fingerprint": sa.select(sa.func.max(table.c.id), sa.func.max(table.c.timestamp),
                                     sa.func.min(table.c.id))
            .where(table.c.sender_id == sender),
            "stored": sa.select(start, sa.func.count(table.c.id))
            .where(table.c.sender_id == sender,
                   sa.or_(start.is_(None), table.c.timestamp >= start)),
        }

    def engine_options(self, url: sa.engine.URL) -> dict:
        options = create_engine_kwargs(url)
        if is_sqlite_file(url):
            # Rasa's store runs on the server's one event-loop thread; a pooled connection
            # is never used by two threads at once.
            options.update(poolclass=QueuePool, pool_size=2, max_overflow=8,
                           connect_args={"check_same_thread": False})
        return options

    def fingerprint(self, session, sender_id: str) -> tuple:
        """The conversation's rows in one indexed query: the newest (id, timestamp) changes
        with any turn stored since, the oldest id with any rows deleted (erasure, purge)."""
        return tuple(session.execute(self._statements["fingerprint"],
                                     {"sender_id": sender_id}).one())

    async def retrieve(self, sender_id):
        """Rasa's retrieve (the latest session), from memory when the database agrees.

        Rasa's `_retrieve` is repeated here rather than called because the fingerprint must
        match the very rows that were read: it is taken after them, and the tracker is kept
        only if the newest row is still the newest one read (a turn that another server
        stored in between would otherwise make the kept tracker pass for newer than it is)."""
        with self.session_scope() as session:
            if self.recent.size:
                kept = self.recent.usable(sender_id, self.fingerprint(session, sender_id))
                if kept is not None:
                    return kept
            rows = self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=False).all()
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(row.data) for row in rows], self.domain.slots)
        if self.recent.size:
            with self.session_scope() as session:
                fingerprint = self.fingerprint(session, sender_id)
            if fingerprint[0] == rows[-1].id:  # nothing stored since the rows were read
                self.recent.remember(sender_id, tracker, fingerprint)
        return tracker

    def stored_offset(self, session, tracker) -> int:
        """How many of the tracker's events the database holds, as Rasa counts them (the
        rows of the latest stored session), plus the tracker's events older than that
        session, which Rasa's count leaves out."""
        start, count = session.execute(self._statements["stored"],
                                       {"sender_id": tracker.sender_id}).one()
        if start is None:
            return count
        return count + sum(1 for e in tracker.events if e.timestamp < start)

    async def save(self, tracker) -> None:
        await self._save(tracker, {})

    async def _save(self, tracker, progress: dict) -> None:
        """One attempt at saving; `progress` is shared by the attempts of one save."""
        sender_id = tracker.sender_id
        if erased_in_this_turn(tracker):
            self.recent.forget(sender_id)
            with self.session_scope() as session:  # normally nothing is left to delete
                session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id == sender_id).delete(synchronize_session=False)
                session.commit()
            return
        events = list(tracker.events)
        with self.session_scope() as session:
            offset = self.stored_offset(session, tracker)
            # The events a first attempt found missing are the ones to publish, even if its
            # commit went through and a retry finds them stored.
            progress.setdefault("publish_from", offset)
            self._append(session, sender_id, events[offset:])
            session.commit()
            if self.event_broker is not None and not progress.get("published"):
                await self._stream_new_events(self.event_broker,
                                              events[progress["publish_from"]:], sender_id)
                progress["published"] = True
            if self.recent.size and holds_one_session(tracker):
                self.recent.remember(sender_id, tracker, self.fingerprint(session, sender_id))
            else:
                self.recent.forget(sender_id)

    def _append(self, session, sender_id: str, events) -> None:
        """Rasa's insert of new events, as one multi-row insert instead of an ORM object
        per event."""
        rows = []
        for event in events:
            data = event.as_dict()
            rows.append({
                "sender_id": sender_id, "type_name": event.type_name,
                "timestamp": data.get("timestamp"), "action_name": data.get("name"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "data": json.dumps(data)})
        if rows:
            session.execute(self.SQLEvent.__table__.insert(), rows)
