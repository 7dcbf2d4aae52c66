"""Rasa's SQL tracker store, with erasure on request.

When a person asks the bot to delete their data, the erase action runs in the action server,
but the conversation itself is held by the Rasa server, which saves it after the turn by
appending the events it has not stored yet. Deleting the rows from outside would only make it
store the whole conversation again. So erasure happens here, at save time: a turn in which the
erase action ran leaves nothing of the conversation in the table.
"""
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot import rasa_speedups

rasa_speedups.install()

ERASE_ACTION = "action_erase_my_data"


def erasure_requested(tracker) -> bool:
    """Whether the erase action ran after the latest user message."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == ERASE_ACTION:
            return True
    return False


class ErasableSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rasa_speedups.use_sqlite_wal(self.engine)

    async def save(self, tracker) -> None:
        if not erasure_requested(tracker):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(
                self.SQLEvent.sender_id == tracker.sender_id).delete(synchronize_session=False)
            session.commit()
