"""Erase the person's data on request (bot/storage/erasure.py): the triage records and the
stored conversation, then one reply that says exactly what was deleted. The Rasa server
stores nothing of this turn when that reply says everything is gone.

The deletes are blocking database calls: they run in a worker thread, so a slow database
holds up this conversation only, never the action server's other conversations."""
import asyncio
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.storage import erasure

ERASURE = erasure.Erasure()

# Responses this module sends (checked against the domain by the tests).
RESPONSES = erasure.RESPONSES


class ActionEraseMyData(Action):
    def name(self) -> Text:
        return erasure.ERASE_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        outcome = await asyncio.to_thread(ERASURE.erase, tracker.sender_id)
        dispatcher.utter_message(response=outcome.response)
        return []
