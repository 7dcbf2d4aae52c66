"""The project's own database: an engine built from configuration, and a unit of work.

Nothing here runs at import time: callers build the engine when they need it, so importing
the package never opens a connection or creates a file. SQLAlchemy 1.4 (Rasa's pin) is used in
the 2.0 style (`future=True`, `select()`), so the code ports to 2.0 as it is.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

DEFAULT_URL = "sqlite:///var/tracker.db"


class DatabaseConfigError(ValueError):
    """A database URL that cannot work; the message says which setting to fix."""


def database_url(environ=os.environ) -> str:
    """RECORDS_DB_URL, else the tracker store's TRACKER_DB_URL: by default one database."""
    return environ.get("RECORDS_DB_URL") or environ.get("TRACKER_DB_URL") or DEFAULT_URL


def tracker_url(environ=os.environ) -> str:
    """TRACKER_DB_URL: where Rasa's tracker store keeps the conversations."""
    return environ.get("TRACKER_DB_URL") or DEFAULT_URL


def make_engine(url: Optional[str] = None) -> Engine:
    url = url or database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise DatabaseConfigError(f"not a database URL: {url!r} ({error})") from None
    options = {"future": True, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        # Rasa's server and the action server are separate processes on one file.
        options["connect_args"] = {"timeout": 15}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # Pooled, as the tracker store's (bot/storage/tracker_store.py): SQLAlchemy 1.4
            # otherwise opens a file connection for every unit of work (with its pragmas and
            # a checkpoint of the WAL log when it closes) - the Rasa server's look for a due
            # check-in before every message spent more time connecting than querying (py-spy,
            # docs/benchmarks-notes.md). A file needs no ping; each connection is used by one
            # thread at a time, handed over by the pool.
            options.update(poolclass=QueuePool, pool_size=2, max_overflow=8,
                           pool_pre_ping=False)
            options["connect_args"]["check_same_thread"] = False
    return create_engine(parsed, **options)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error, always close."""
    session = Session(engine, future=True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def use_sqlite_wal(engine: Engine) -> None:
    """Every new connection of this SQLite engine in WAL mode, synchronous=NORMAL.

    In its default journal mode SQLite waits for the disk twice per commit; WAL with
    synchronous=NORMAL keeps every committed turn across a crash of the server (only a power
    cut can lose the last one) and cut the tracker save from 25 to 8 ms (make bench).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # connections made before this point reconnect with the pragmas
