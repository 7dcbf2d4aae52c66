"""Erase the person's data on request: their triage records here, their conversation in
the tracker store (bot.storage.tracker_store erases it when it sees this action ran)."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.give_disposition import CASE_LOG

# Responses this module sends (checked against the domain by the tests).
RESPONSES = ("utter_data_erased", "utter_data_erase_failed")


class ActionEraseMyData(Action):
    def name(self) -> Text:
        return "action_erase_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        erased = CASE_LOG.erase(tracker.sender_id)
        dispatcher.utter_message(response=RESPONSES[0] if erased is not None else RESPONSES[1])
        return []
