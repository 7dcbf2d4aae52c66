"""Start a fresh check: forget the answers, keep what must never be lowered.

A person who restarts after emergency advice must not be able to talk the bot down: the
disposition and the red flags they reported stay, and the new check can only end at that
level or higher.

Rasa's own built-in intents can be typed too (Telegram users type commands): `/restart` would
run Rasa's `action_restart`, which forgets every slot, level and red flag included, and `/back`
Rasa's `action_back`, which undoes turns. Both are overridden here (a custom action with the
built-in name replaces it; tests/integration/test_conversation.py checks that it still does):
`/restart` is a start-over, and `/back` undoes nothing and says how to correct an answer.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from bot.clinical import triage


# Responses this module sends (checked against the domain by the tests).
RESPONSES = ("utter_start_over", "utter_back_not_available")


class ActionStartOver(Action):
    def name(self) -> Text:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response=RESPONSES[0])
        events: List[EventType] = [SlotSet(q, None) for q in triage.FORM_QUESTION_IDS]
        events += [SlotSet(slots.REQUESTED_SLOT, None), SlotSet(slots.SYMPTOMS, None)]
        # Always the same events, so the rules that use this action stay one shape.
        events.append(ActiveLoop(None))
        return events


class ActionRestart(ActionStartOver):
    """`/restart` typed by a person: the same as "start over", never a wipe."""

    def name(self) -> Text:
        return "action_restart"


class ActionBack(Action):
    """`/back` typed by a person: nothing is undone (a red flag is never forgotten)."""

    def name(self) -> Text:
        return "action_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response=RESPONSES[1])
        return []
