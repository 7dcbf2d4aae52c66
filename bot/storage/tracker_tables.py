"""Rasa's own tracker table (`events`), for retention and erasure.

Rasa's SQL tracker store keeps every event of every conversation in one table. Purging and
erasing work on it with plain SQL, so that they need no running Rasa server.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, Table, and_, delete, exists, inspect, select
from sqlalchemy.engine import Engine

EVENTS = "events"


def events_table(engine: Engine):
    if not inspect(engine).has_table(EVENTS):
        return None
    return Table(EVENTS, MetaData(), autoload_with=engine)


def erase_sender(engine: Engine, sender_id: str) -> int:
    """Delete every stored event of one conversation; the number of events deleted."""
    events = events_table(engine)
    if events is None:
        return 0
    with engine.begin() as connection:
        return connection.execute(delete(events).where(events.c.sender_id == sender_id)).rowcount


def purge_before(engine: Engine, cutoff: datetime) -> int:
    """Delete the conversations whose last event is older than `cutoff`; events deleted.

    One statement: a row goes only if no row of its conversation is as new as the cutoff,
    checked by the delete itself. A turn that a returning person's server commits before the
    statement keeps the whole conversation; selecting the stale conversations first and
    deleting them afterwards would delete that turn too.
    """
    events = events_table(engine)
    if events is None:
        return 0
    newer = events.alias("newer")
    recent = exists(select(newer.c.id).where(and_(newer.c.sender_id == events.c.sender_id,
                                                  newer.c.timestamp >= cutoff.timestamp())))
    with engine.begin() as connection:
        return connection.execute(delete(events).where(~recent)).rowcount
