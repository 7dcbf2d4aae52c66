"""The lock store: one message of a conversation at a time, across every Rasa server.

Rasa handles a message inside a per-conversation ticket lock (`Agent.handle_message`). With
one server an in-memory lock is enough; with several servers behind a load balancer the lock
must be shared, which is what Rasa's `RedisLockStore` is for.

Rasa 3.6's `RedisLockStore` updates a lock by reading it, changing it in Python and writing it
back (`issue_ticket`, `finish_serving`, `update_lock`, `cleanup`). Two servers doing that for
the same conversation at the same moment can both take the same ticket, or one can erase the
other's ticket; the messages are then handled at the same time, or one fails with "Could not
acquire lock". `AtomicRedisLockStore` does each of those steps as one Redis transaction
(WATCH/MULTI/EXEC, retried on conflict), so the tickets stay a strict queue.

`EnvironmentLockStore` is what endpoints.yml names: Redis when LOCK_STORE_URL is set
(e.g. redis://:password@redis.internal:6379/1), Rasa's in-memory lock store otherwise, so a
single `make run` needs no Redis. LOCK_STORE_PREFIX (letters and digits) keeps the keys of
several deployments sharing one Redis apart. TICKET_LOCK_LIFETIME (Rasa's own setting, in
seconds, default 60) is how long a ticket held by a server that died blocks its conversation.

A ticket lives that long, but a turn may take longer: while the database restarts the tracker
store retries a read and a save for up to TRACKER_DB_RETRY_SECONDS each, and an action call
may wait for a slow action server. Rasa lets the ticket expire all the same, and the
conversation's next message then runs beside the turn that is still going. So both stores
here keep their ticket alive while its turn runs (and while it waits for its turn): every
third of the lifetime the ticket's expiry is moved on by a lifetime. A server that dies stops
doing so, and its ticket expires as before. The extension stops after MAX_TURN_LIFETIMES
lifetimes, so that a turn stuck for good cannot block its conversation for good.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional, Text
from urllib.parse import unquote, urlparse

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore,
                                  RedisLockStore)

from bot.rasa_patches import action_failure

logger = logging.getLogger(__name__)

MAX_TURN_LIFETIMES = 20


class KeepsTicketsAlive(LockStore):
    """Rasa's `LockStore.lock`, with the ticket kept alive while its turn runs."""

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        keeper = asyncio.create_task(self._keep_alive(conversation_id, ticket, lock_lifetime))
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            keeper.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_alive(self, conversation_id: Text, ticket: int, lifetime: float) -> None:
        for _ in range(MAX_TURN_LIFETIMES * 3):
            await asyncio.sleep(lifetime / 3)
            try:
                if not self.extend_ticket(conversation_id, ticket, lifetime):
                    logger.warning("lock: a ticket expired before its turn ended")
                    return
            except Exception as error:  # noqa: BLE001 - the turn itself must go on
                logger.warning("lock: could not extend a ticket (%s)", type(error).__name__)
        logger.error("lock: a turn held its conversation for %d lifetimes; no longer "
                     "extending its ticket", MAX_TURN_LIFETIMES)

    def extend_ticket(self, conversation_id: Text, ticket: int, lifetime: float) -> bool:
        """Move the ticket's expiry to `lifetime` from now; False if it is gone."""
        lock = self.get_lock(conversation_id)
        found = lock and lock._ticket_for_ticket_number(ticket)
        if not found:
            return False
        found.expires = time.time() + lifetime
        self.save_lock(lock)
        return True


class KeptAliveInMemoryLockStore(KeepsTicketsAlive, InMemoryLockStore):
    """Rasa's in-memory lock store (one server), tickets kept alive while their turn runs."""


class AtomicRedisLockStore(KeepsTicketsAlive, RedisLockStore):
    """Rasa's Redis lock store with each read-modify-write as one Redis transaction, and
    tickets kept alive while their turn runs."""

    @classmethod
    def from_url(cls, url: str, key_prefix: Optional[str] = None) -> "AtomicRedisLockStore":
        parsed = urlparse(url)
        if parsed.scheme not in ("redis", "rediss"):
            raise ValueError(f"LOCK_STORE_URL must start with redis:// or rediss://, got "
                             f"{parsed.scheme!r}")
        db = (parsed.path or "/1").lstrip("/") or "1"
        return cls(host=parsed.hostname or "localhost", port=parsed.port or 6379, db=int(db),
                   username=unquote(parsed.username) if parsed.username else None,
                   password=unquote(parsed.password) if parsed.password else None,
                   use_ssl=parsed.scheme == "rediss", key_prefix=key_prefix)

    def _key(self, conversation_id: Text) -> str:
        return self.key_prefix + conversation_id

    def _atomically(self, conversation_id: Text, change) -> object:
        """Run `change(lock or None) -> (new lock or None to delete, result)` atomically."""
        key = self._key(conversation_id)
        outcome = {}

        def transaction(pipe) -> None:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new_lock, outcome["result"] = change(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())

        self.red.transaction(transaction, key)
        return outcome.get("result")

    def issue_ticket(self, conversation_id: Text,
                     lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock):
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, change)
        except Exception as error:  # as Rasa's own issue_ticket
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        def change(lock):
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, change)

    def extend_ticket(self, conversation_id: Text, ticket: int, lifetime: float) -> bool:
        def change(lock):
            found = lock and lock._ticket_for_ticket_number(ticket)
            if not found:
                return lock, False
            found.expires = time.time() + lifetime
            return lock, True

        return bool(self._atomically(conversation_id, change))

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the ticket, and the lock with it when nobody else is waiting."""
        def change(lock):
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, change)


class EnvironmentLockStore(LockStore):
    """Redis (atomic) when LOCK_STORE_URL is set, in memory otherwise.

    Also installs the reply for failed actions (bot/rasa_patches/action_failure.py): creating the lock
    store is the one project hook Rasa runs in the server before the first message.
    """

    def __new__(cls, endpoint_config=None, **_):
        action_failure.install()
        url = os.environ.get("LOCK_STORE_URL", "").strip()
        if not url:
            logger.info("lock store: in memory (set LOCK_STORE_URL for several servers)")
            return KeptAliveInMemoryLockStore()
        prefix = os.environ.get("LOCK_STORE_PREFIX", "").strip() or None
        store = AtomicRedisLockStore.from_url(url, key_prefix=prefix)
        store.red.ping()  # fail at start, not at the first message
        logger.info("lock store: Redis, key prefix %r", store.key_prefix)
        return store
