"""The conversations a server handled last, kept in its memory next to the SQL tracker store.

Loading a conversation from SQL means reading every event of it, parsing each from JSON and
replaying them all into a tracker: with the save, a quarter of the Rasa server's time per
message on a triage of fifteen turns (make bench, in-process: 11.6 of 46.5 ms). The next message of a conversation
usually comes to the same server, so the server keeps the tracker it saved last.

It may only use that tracker if the database still holds exactly what the server saved, so
each entry carries a fingerprint of the conversation's rows (the highest id, the latest
timestamp, the lowest id), taken when the tracker was read or saved. Any other writer (another server of a cluster,
`python -m bot purge`, an erasure) changes the fingerprint, and the conversation is read
from the database again. An entry also remembers how many of the tracker's events are stored:
a turn that failed half-way leaves the tracker longer than that, and it is not used again.
The tracker store keeps only trackers that hold one session (what any server would read),
and never relies on an entry to decide what to store.
Rasa handles one message of a conversation at a time (its lock store, Redis across
servers), so a kept tracker is never worked on by two turns at once.

Nothing here knows of Rasa beyond `tracker.events`; bot/storage/tracker_store.py uses it.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Hashable, Optional

DEFAULT_SIZE = 256  # conversations; each is a few hundred kB at most (measured by make bench)


def size_from_environment() -> int:
    """TRACKER_CACHE_SIZE: how many conversations to keep (0 turns the cache off)."""
    raw = os.environ.get("TRACKER_CACHE_SIZE", "").strip()
    if not raw:
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ValueError(f"TRACKER_CACHE_SIZE must be a whole number, not {raw!r}") from None
    if size < 0:
        raise ValueError(f"TRACKER_CACHE_SIZE must be 0 or more, not {size}")
    return size


@dataclass
class Entry:
    tracker: Any
    stored: int  # how many of tracker.events the database holds
    fingerprint: Hashable  # of the conversation's rows, when `stored` was true


class RecentTrackers:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: "OrderedDict[str, Entry]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, sender_id: str, tracker: Any, fingerprint: Hashable) -> None:
        """`tracker` is what the database holds now, all its events stored."""
        if self.size <= 0:
            return
        self._entries[sender_id] = Entry(tracker, len(tracker.events), fingerprint)
        self._entries.move_to_end(sender_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def usable(self, sender_id: str, fingerprint: Hashable) -> Optional[Any]:
        """The kept tracker, if the database still holds exactly it and nothing was added to
        it since it was stored; otherwise None (and the entry is dropped)."""
        entry = self._entries.get(sender_id)
        if entry is None:
            return None
        if entry.fingerprint != fingerprint or len(entry.tracker.events) != entry.stored:
            del self._entries[sender_id]
            return None
        self._entries.move_to_end(sender_id)
        return entry.tracker

    def forget(self, sender_id: str) -> None:
        self._entries.pop(sender_id, None)
