"""Start a fresh check: forget the answers, keep what must never be lowered.

A person who restarts after emergency advice must not be able to talk the bot down: the
disposition and the red flags they reported stay, and the new check can only end at that
level or higher.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from bot.clinical import triage


# Responses this module sends (checked against the domain by the tests).
RESPONSES = ("utter_start_over",)


class ActionStartOver(Action):
    def name(self) -> Text:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response=RESPONSES[0])
        events: List[EventType] = [SlotSet(q, None) for q in triage.QUESTION_IDS]
        events += [SlotSet(slots.REQUESTED_SLOT, None), SlotSet(slots.SYMPTOMS, None)]
        # Always the same events, so the rules that use this action stay one shape.
        events.append(ActiveLoop(None))
        return events
