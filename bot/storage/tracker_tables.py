"""Rasa's own tracker table (`events`), for retention and erasure.

Rasa's SQL tracker store keeps every event of every conversation in one table. Purging and
erasing work on it with plain SQL, so that they need no running Rasa server.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, Table, delete, func, inspect, select
from sqlalchemy.engine import Engine

EVENTS = "events"


def _events(engine: Engine):
    if not inspect(engine).has_table(EVENTS):
        return None
    return Table(EVENTS, MetaData(), autoload_with=engine)


def erase_sender(engine: Engine, sender_id: str) -> int:
    """Delete every stored event of one conversation; the number of events deleted."""
    events = _events(engine)
    if events is None:
        return 0
    with engine.begin() as connection:
        return connection.execute(delete(events).where(events.c.sender_id == sender_id)).rowcount


def purge_before(engine: Engine, cutoff: datetime) -> int:
    """Delete the conversations whose last event is older than `cutoff`; events deleted."""
    events = _events(engine)
    if events is None:
        return 0
    stale = (select(events.c.sender_id).group_by(events.c.sender_id)
             .having(func.max(events.c.timestamp) < cutoff.timestamp()))
    with engine.begin() as connection:
        senders = [row[0] for row in connection.execute(stale)]
        deleted = 0
        for start in range(0, len(senders), 500):
            chunk = senders[start:start + 500]
            deleted += connection.execute(
                delete(events).where(events.c.sender_id.in_(chunk))).rowcount
        return deleted
