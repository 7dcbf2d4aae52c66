"""Handover summaries for the processes that use them: each call one unit of work.

The action server stores a summary when it gives advice and reads the latest one back for the
chat; the widget's page server and the Telegram channel read one by its token. Engines are made
on first use, never at import. Errors are logged by type only (no health data in logs): a
summary that cannot be stored costs the person the summary, never the advice.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional, Tuple

from bot import settings
from bot.storage import database, summaries
from bot.storage.records_access import RecordsAccess

logger = logging.getLogger(__name__)


class SummaryStore(RecordsAccess):
    def __init__(self, url: Optional[str] = None, clock=None):
        super().__init__(url)
        self._clock = clock  # a callable giving an aware datetime; tests move it forward

    def _now(self) -> Optional[datetime]:
        return self._clock() if self._clock else None

    def create(self, sender_id: str, facts: dict) -> Optional[Tuple[str, str, str, str]]:
        """(token, reference, created_at, expires_at) of a new summary, None on an error."""
        try:
            with database.unit_of_work(self.engine()) as session:
                row = summaries.add(session, conversation_key=self.key_of(sender_id),
                                    facts=facts, ttl=settings.summary_ttl(), now=self._now())
                return (row.token, row.reference, row.created_at.isoformat(),
                        row.expires_at.isoformat())
        except Exception as error:  # noqa: BLE001 - the advice goes out regardless
            logger.error("summary not stored: %s", type(error).__name__)
            return None

    def latest(self, sender_id: str) -> Optional[dict]:
        try:
            with database.unit_of_work(self.engine()) as session:
                row = summaries.latest_for(session, self.key_of(sender_id), now=self._now())
                return None if row is None else as_dict(row)
        except Exception as error:  # noqa: BLE001
            logger.error("summary not read: %s", type(error).__name__)
            return None

    def get(self, token: str) -> Optional[dict]:
        """The summary behind a token; None when malformed, unknown or expired. A database
        error is raised (the caller answers 503, not 'not found')."""
        if not summaries.is_token(token):
            return None
        with database.unit_of_work(self.engine()) as session:
            row = summaries.by_token(session, token, now=self._now())
            return None if row is None else as_dict(row)


def as_dict(row: summaries.Summary) -> dict:
    return {"reference": row.reference, "facts": dict(row.facts),
            "created_at": summaries.as_utc(row.created_at).isoformat(),
            "expires_at": summaries.as_utc(row.expires_at).isoformat(),
            "conversation_key": row.conversation_key}
