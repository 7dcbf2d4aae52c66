"""Writing triage records, so that a database fault never breaks a conversation.

Every call opens its own unit of work. Any database error is logged (by type only: no health
data in logs) and swallowed: the person still gets their advice, and the missing record shows
in the log for staff to follow up. Erasure on request is bot/storage/erasure.py.
"""
from __future__ import annotations

import logging
from typing import Optional, Sequence

from bot.clinical import triage
from bot.storage import database, records
from bot.storage.records_access import RecordsAccess

logger = logging.getLogger(__name__)


class CaseLog(RecordsAccess):
    def record(self, *, sender_id: str, turn: str, channel: Optional[str],
               outcome: triage.Outcome, flags: Sequence[str],
               symptoms: Sequence[str]) -> Optional[bool]:
        """True if stored, False if this turn was already stored, None on a database error."""
        try:
            engine = self.engine()
            with database.unit_of_work(engine) as session:
                return records.add_record(
                    session, conversation_key=self.key_of(sender_id), turn=turn,
                    channel=channel or "unknown", disposition=outcome.disposition,
                    rule=outcome.rule, red_flags=[f for f in flags if f in triage.FLAG_LEVEL],
                    symptoms=list(symptoms), rules_version=triage.RULES_VERSION)
        except Exception as error:  # noqa: BLE001 - a record must never cost the person the advice
            logger.error("triage record not stored: %s", type(error).__name__)
            return None
