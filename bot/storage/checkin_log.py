"""Check-ins for the action server: schedule after a yes, word the question, keep the answer.

Each call is one unit of work under the conversation's pseudonym; errors are logged by type
and the person is told plainly (a check-in that cannot be stored is never promised).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Optional

from bot.storage import checkins, database
from bot.storage.records_access import RecordsAccess

logger = logging.getLogger(__name__)


class CheckInLog(RecordsAccess):
    def __init__(self, url: Optional[str] = None, clock=None):
        super().__init__(url)
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    def schedule(self, sender_id: str, channel: Optional[str], disposition: str,
                 days: int) -> bool:
        try:
            with database.unit_of_work(self.engine()) as session:
                push = channel in checkins.PUSH_CHANNELS
                checkins.schedule(session, conversation_key=self.key_of(sender_id),
                                  channel=channel or "unknown", disposition=disposition,
                                  after=timedelta(days=days),
                                  recipient=sender_id if push else None, now=self._clock())
            return True
        except Exception as error:  # noqa: BLE001 - the reply says it was not stored
            logger.error("check-in not scheduled: %s", type(error).__name__)
            return False

    def cancel(self, sender_id: str) -> Optional[int]:
        try:
            with database.unit_of_work(self.engine()) as session:
                return checkins.cancel(session, self.key_of(sender_id),
                                       states=(checkins.SCHEDULED, checkins.SENDING,
                                               checkins.SENT))
        except Exception as error:  # noqa: BLE001
            logger.error("check-ins not cancelled: %s", type(error).__name__)
            return None

    def opened(self, sender_id: str) -> Optional[dict]:
        """The check-in just sent to this conversation: its level and the days since advice."""
        with database.unit_of_work(self.engine()) as session:
            row = checkins.open_for(session, self.key_of(sender_id))
            if row is None:
                return None
            since = self._clock() - checkins.as_utc(row.created_at)
            return {"id": row.id, "disposition": row.disposition,
                    "days_since": max(0, round(since / timedelta(days=1)))}

    def answer(self, sender_id: str, answer: str) -> Optional[dict]:
        """Keep the answer on the open check-in; its level and days since, or None."""
        with database.unit_of_work(self.engine()) as session:
            row = checkins.open_for(session, self.key_of(sender_id))
            if row is None:
                return None
            since = self._clock() - checkins.as_utc(row.created_at)
            checkins.record_answer(session, row.id, answer, now=self._clock())
            return {"id": row.id, "disposition": row.disposition,
                    "days_since": max(0, round(since / timedelta(days=1)))}
