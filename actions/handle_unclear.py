"""The reply to a message the bot could not read: say why, never guess a medical answer."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.clinical import input_checks

# Responses this module sends (checked against the domain by the tests).
BY_ISSUE = {
    input_checks.EMPTY: "utter_empty_message",
    input_checks.NO_WORDS: "utter_default",
    input_checks.OTHER_LANGUAGE: "utter_other_language",
}
RESPONSES = tuple(sorted(set(BY_ISSUE.values())))


class ActionHandleUnclear(Action):
    def name(self) -> Text:
        return "action_handle_unclear"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        issue = next(tracker.get_latest_entity_values("input_issue"), None)
        dispatcher.utter_message(response=BY_ISSUE.get(issue, "utter_default"))
        return []
