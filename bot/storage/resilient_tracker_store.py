"""The SQL tracker store for several servers: it rides out a database restart.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`, which turns a database error
into silent damage: a failed `retrieve` returns no tracker (the conversation starts again from
nothing, and the next save then appends the wrong events), a failed `save` keeps the events in
the server's memory only (the person got a reply, the database never gets the turn). During a
PostgreSQL restart or fail-over that is every message in flight.

`ResilientSQLTrackerStore` (the project's erasable SQL store, bot/storage/tracker_store.py) instead:
- checks a pooled connection before using it (`pool_pre_ping`), so connections that died with
  the old database process are replaced without an error;
- retries a read or a write that fails with a connection error, with a growing pause, for up
  to TRACKER_DB_RETRY_SECONDS (default 30 s). The message waits (the conversation's lock is
  held, so nothing overtakes it) and completes once the database is back. A write is one
  transaction that first counts what is stored, so a retried write never stores a turn twice,
  even when the commit of the failed attempt went through.
Only when the database stays away longer does Rasa's fail-safe behaviour apply; the error log
then says so.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time

from sqlalchemy import exc

from bot.storage.tracker_store import ErasableSQLTrackerStore

logger = logging.getLogger(__name__)

RETRYABLE = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError)


def retry_seconds() -> float:
    return float(os.environ.get("TRACKER_DB_RETRY_SECONDS", "30"))


class ResilientSQLTrackerStore(ErasableSQLTrackerStore):
    def engine_options(self, url) -> dict:
        return {**super().engine_options(url), "pool_pre_ping": True}

    async def _retrying(self, what: str, call):
        deadline = time.monotonic() + retry_seconds()
        pause = 0.1
        attempt = 1
        while True:
            try:
                return await call()
            except RETRYABLE as error:
                if time.monotonic() + pause > deadline:
                    logger.error("tracker store: %s failed after %d attempts (%s); giving up",
                                 what, attempt, type(error).__name__)
                    raise
                logger.warning("tracker store: %s failed (%s), retrying in %.1f s", what,
                               type(error).__name__, pause)
                self.engine.dispose()  # drop every pooled connection of the old server
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
                attempt += 1

    async def keys(self):
        return await self._retrying("keys", super().keys)

    async def retrieve(self, sender_id):
        return await self._retrying("retrieve", lambda: super(
            ResilientSQLTrackerStore, self).retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id):
        return await self._retrying("retrieve", lambda: super(
            ResilientSQLTrackerStore, self).retrieve_full_tracker(conversation_id))

    async def save(self, tracker) -> None:
        progress: dict = {}  # shared by the attempts: what the first one found missing
        return await self._retrying("save", lambda: self._save(tracker, progress))
