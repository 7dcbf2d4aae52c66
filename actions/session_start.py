"""Start of a session: the configured emergency number goes into a slot for the responses."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.slots import EMERGENCY_NUMBER
from bot import settings


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # Carry every slot over: a disposition or a red flag from an earlier session of the
        # same conversation must never be forgotten (a level is never lowered).
        for name, value in tracker.current_slot_values().items():
            if value is not None and name != "requested_slot":
                events.append(SlotSet(name, value))
        events.append(SlotSet(EMERGENCY_NUMBER, settings.emergency_number()))
        events.append(ActionExecuted("action_listen"))
        return events
