"""Rasa's SQL tracker store, with erasure on request and the last conversations kept in memory.

Erasure: when a person asks the bot to delete their data, the erase action runs in the action
server, but the conversation itself is held by the Rasa server, which saves it after the turn
by appending the events it has not stored yet. Deleting the rows from outside would only make
it store the whole conversation again. So erasure happens here, at save time: a turn in which
the erase action ran leaves nothing of the conversation in the table.

Speed (make bench; docs/benchmarks.md): a conversation this server saved is kept in memory
(bot/storage/recent_trackers.py) and used again for its next message when the database still holds
exactly what was saved, checked by one indexed query instead of reading and replaying every
event. The save then appends the new events without Rasa's count of the stored ones. SQLite
connections are pooled (SQLAlchemy 1.4 opens and closes a file connection per query
otherwise, and closing one in WAL mode checkpoints the log).
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.rasa_patches import speedups
from bot.storage import database
from bot.storage.recent_trackers import RecentTrackers, size_from_environment

speedups.install()

ERASE_ACTION = "action_erase_my_data"


def erasure_requested(tracker) -> bool:
    """Whether the erase action ran after the latest user message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == ERASE_ACTION:
            return True
    return False


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

    def engine_options(self, url: sa.engine.URL) -> dict:
        options = create_engine_kwargs(url)
        if is_sqlite_file(url):
            # Rasa's store runs on the server's one event-loop thread; a pooled connection
            # is never used by two threads at once.
            options.update(poolclass=QueuePool, pool_size=2, max_overflow=8,
                           connect_args={"check_same_thread": False})
        return options

    def fingerprint(self, session, sender_id: str) -> tuple:
        """The newest row of a conversation (id, timestamp), in one indexed query: any turn
        stored since changes it, and rows are only ever deleted a whole conversation at a
        time (erasure, purge), after which new rows have new timestamps."""
        event = self.SQLEvent
        return tuple(session.query(sa.func.max(event.id), sa.func.max(event.timestamp))
                     .filter(event.sender_id == sender_id).one())

    async def retrieve(self, sender_id):
        """Rasa's retrieve (the latest session), from memory when the database agrees.

        Rasa's `_retrieve` is repeated here rather than called because the fingerprint must
        come from the very rows that were read: a second query could see a turn that another
        server stored in between, and the kept tracker would then pass for newer than it is."""
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
        newest = rows[-1]  # ordered by id
        self.recent.remember(sender_id, tracker, (newest.id, max(
            (row.timestamp for row in rows if row.timestamp is not None), default=None)))
        return tracker

    async def save(self, tracker) -> None:
        sender_id = tracker.sender_id
        if erasure_requested(tracker):
            self.recent.forget(sender_id)
            with self.session_scope() as session:
                session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id == sender_id).delete(synchronize_session=False)
                session.commit()
            return
        if self.recent.size and self.event_broker is None:
            # Checked again, not trusted from the retrieve: a purge or another server without
            # a shared lock store may have written since, and `stored` would then be wrong.
            with self.session_scope() as session:
                stored = self.recent.stored_count(sender_id, tracker,
                                                  self.fingerprint(session, sender_id))
                if stored is not None:
                    self._append(session, tracker, stored)
                    session.commit()
                    self.recent.remember(sender_id, tracker, self.fingerprint(session, sender_id))
                    return
        self.recent.forget(sender_id)
        await super().save(tracker)
        if self.recent.size:
            with self.session_scope() as session:
                self.recent.remember(sender_id, tracker, self.fingerprint(session, sender_id))

    def _append(self, session, tracker, stored: int) -> None:
        """Rasa's save, for a tracker whose first `stored` events are known to be stored
        (one multi-row insert instead of an ORM object per event)."""
        rows = []
        for event in list(tracker.events)[stored:]:
            data = event.as_dict()
            rows.append({
                "sender_id": tracker.sender_id, "type_name": event.type_name,
                "timestamp": data.get("timestamp"), "action_name": data.get("name"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "data": json.dumps(data)})
        if rows:
            session.execute(self.SQLEvent.__table__.insert(), rows)
