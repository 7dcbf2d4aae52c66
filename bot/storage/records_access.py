"""The records database and the pseudonym key, as every writer of records needs them.

Both are made on first use, never at import (importing the actions opens no database), and
kept for the process. Case records, summaries, check-ins and their delivery share this piece.
"""
from __future__ import annotations

from typing import Optional

from bot.storage import database, pseudonym


class RecordsAccess:
    def __init__(self, url: Optional[str] = None):
        self._url = url
        self._engine = None
        self._secret: Optional[bytes] = None

    def engine(self):
        if self._engine is None:
            self._engine = database.make_engine(self._url)
            # As the tracker store: a committed record survives a crash of the server, and a
            # result's two records (summary, case) cost no wait for the disk each.
            database.use_sqlite_wal(self._engine)
        return self._engine

    def key_of(self, conversation_id: str) -> str:
        """The keyed hash that stands for the conversation in every records table."""
        if self._secret is None:
            self._secret = pseudonym.secret()
        return pseudonym.conversation_key(conversation_id, self._secret)
