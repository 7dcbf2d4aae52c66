"""The reply to a message the bot could not read: say why, never guess a medical answer.

A message in English that the bot could not read ("worst pain of my life after leg press, on
all fours to get to the bathroom" read with no intent sure enough) is most often someone with
back pain who said it in a way the bot did not expect: after the apology they are offered the
check, which asks about every warning sign (data/rules/chat.yml takes the yes or the no). A
message in another language, or an empty one, only gets its reason."""
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
OFFER = "utter_offer_check"
OFFERED_AFTER = {None, input_checks.NO_WORDS}
RESPONSES = tuple(sorted(set(BY_ISSUE.values()) | {OFFER}))


class ActionHandleUnclear(Action):
    def name(self) -> Text:
        return "action_handle_unclear"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        issue = next(tracker.get_latest_entity_values("input_issue"), None)
        dispatcher.utter_message(response=BY_ISSUE.get(issue, "utter_default"))
        if issue in OFFERED_AFTER:
            dispatcher.utter_message(response=OFFER)
        return []
