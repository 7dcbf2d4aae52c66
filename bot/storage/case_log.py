"""Writing triage records, so that a database fault never breaks a conversation.

Every call opens its own unit of work. Any database error is logged (by type only: no health
data in logs) and swallowed: the person still gets their advice, and the missing record shows
in the log for staff to follow up. Erasure on request is bot/storage/erasure.py.
"""
from __future__ import annotations

import logging
from typing import Optional, Sequence

from bot.clinical import triage
from bot.storage import database, pseudonym, records

logger = logging.getLogger(__name__)


class CaseLog:
    def __init__(self, url: Optional[str] = None):
        self._url = url
        self._engine = None
        self._secret: Optional[bytes] = None

    def _engine_and_key(self):
        # Built on first use, never at import: importing the actions opens no database.
        if self._engine is None:
            self._engine = database.make_engine(self._url)
        if self._secret is None:
            self._secret = pseudonym.secret()
        return self._engine, self._secret

    def key_of(self, sender_id: str) -> str:
        return pseudonym.conversation_key(sender_id, self._engine_and_key()[1])

    def record(self, *, sender_id: str, turn: str, channel: Optional[str],
               outcome: triage.Outcome, flags: Sequence[str],
               symptoms: Sequence[str]) -> Optional[bool]:
        """True if stored, False if this turn was already stored, None on a database error."""
        try:
            engine, _ = self._engine_and_key()
            with database.unit_of_work(engine) as session:
                return records.add_record(
                    session, conversation_key=self.key_of(sender_id), turn=turn,
                    channel=channel or "unknown", disposition=outcome.disposition,
                    rule=outcome.rule, red_flags=[f for f in flags if f in triage.FLAG_LEVEL],
                    symptoms=list(symptoms), rules_version=triage.RULES_VERSION)
        except Exception as error:  # noqa: BLE001 - a record must never cost the person the advice
            logger.error("triage record not stored: %s", type(error).__name__)
            return None
