""""Delete my data": the triage records and the stored conversation, and what the person is told.

The erase action (actions/erase_my_data.py) calls `Erasure.erase` in the action server. It
deletes, in this order:
1. the triage records, handover summaries and check-ins of the conversation (the records
   database, under its pseudonym);
2. the conversation's stored events (the tracker database), only if step 1 succeeded.
When both live in one database (the default), both deletes are one transaction: all or nothing.
The answer says what was deleted, and names the response that tells the person exactly that:

- ALL_ERASED: both are gone;
- RECORDS_ONLY: the records are gone, the conversation is still stored (separate databases and
  the tracker database failed);
- NOTHING_ERASED: nothing was deleted (the records database failed; the conversation is not
  touched, so nothing is left half-erased).

The person is told only after the deletes are committed. The conversation is held by the Rasa
server, which saves it after the turn: it stores nothing of a turn in which the person was told
ALL_ERASED (bot/storage/tracker_store.py), and saves the turn as usual otherwise. If the erase
action could not run at all (action server down), no such reply was sent and nothing is deleted.

No Rasa here: the action server imports this module.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete
from sqlalchemy.engine import Engine, make_url

from bot.storage import checkins, database, pseudonym, records, summaries, tracker_tables

logger = logging.getLogger(__name__)

ERASE_ACTION = "action_erase_my_data"
ALL_ERASED = "utter_data_erased"
RECORDS_ONLY = "utter_data_erase_partial"
NOTHING_ERASED = "utter_data_erase_failed"
RESPONSES = (ALL_ERASED, RECORDS_ONLY, NOTHING_ERASED)


@dataclass(frozen=True)
class Outcome:
    records: Optional[int]  # records deleted, None when that failed
    events: Optional[int]  # stored conversation events deleted, None when failed or not tried

    @property
    def response(self) -> str:
        if self.records is None:
            return NOTHING_ERASED
        return ALL_ERASED if self.events is not None else RECORDS_ONLY


def erase_records(session, key: str) -> int:
    """The conversation's triage records, handover summaries and check-ins (so a check-in of
    an erased conversation never fires), in the caller's transaction."""
    return records.erase_conversation(session, key) + summaries.erase_conversation(session, key) \
        + checkins.erase_conversation(session, key)


def same_database(first: str, second: str) -> bool:
    return make_url(first).render_as_string(hide_password=False) == \
        make_url(second).render_as_string(hide_password=False)


class Erasure:
    """Built once per process; engines are made on first use, never at import."""

    def __init__(self, records_url: Optional[str] = None, tracker_url: Optional[str] = None):
        self._records_url = records_url
        self._tracker_url = tracker_url
        self._engines: dict = {}
        self._secret: Optional[bytes] = None

    def _engine(self, url: str) -> Engine:
        if url not in self._engines:
            self._engines[url] = database.make_engine(url)
        return self._engines[url]

    def erase(self, sender_id: str) -> Outcome:
        """Delete what can be deleted, in order; never raises (errors are logged by type)."""
        records_url = self._records_url or database.database_url()
        tracker_url = self._tracker_url or database.tracker_url()
        try:
            if self._secret is None:
                self._secret = pseudonym.secret()
            key = pseudonym.conversation_key(sender_id, self._secret)
            if same_database(records_url, tracker_url):
                return self._erase_together(self._engine(records_url), key, sender_id)
            with database.unit_of_work(self._engine(records_url)) as session:
                removed = erase_records(session, key)
        except Exception as error:  # noqa: BLE001 - the reply must say what happened
            logger.error("erasure: nothing deleted (%s)", type(error).__name__)
            return Outcome(records=None, events=None)
        try:
            events = tracker_tables.erase_sender(self._engine(tracker_url), sender_id)
        except Exception as error:  # noqa: BLE001
            logger.error("erasure: triage records deleted, conversation not (%s)",
                         type(error).__name__)
            return Outcome(records=removed, events=None)
        return Outcome(records=removed, events=events)

    @staticmethod
    def _erase_together(engine: Engine, key: str, sender_id: str) -> Outcome:
        with database.unit_of_work(engine) as session:
            removed = erase_records(session, key)
            table = tracker_tables.events_table(engine)
            events = 0
            if table is not None:
                events = session.execute(
                    delete(table).where(table.c.sender_id == sender_id)).rowcount or 0
        return Outcome(records=removed, events=events)
