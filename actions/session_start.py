"""Start of a session: the configured region's emergency number and names (REGION,
EMERGENCY_NUMBER; bot/settings.py) and the check-in delays go into slots that the responses use
as {placeholders}."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from bot import settings

CARRIED_OVER = (slots.DISPOSITION, slots.TRIAGE_RULE, slots.FLAGS, slots.SYMPTOMS)


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # A disposition or a red flag from an earlier session of the same conversation is never
        # forgotten (a level is never lowered); the answers of an unfinished check are, since
        # an old "no" to an emergency question says nothing about today.
        for name in CARRIED_OVER:
            value = tracker.get_slot(name)
            if value is not None:
                events.append(SlotSet(name, value))
        events += [SlotSet(name, value) for name, value in settings.region_slots().items()]
        # When the bot offers to check in (issue 16): "in {checkin_days_self_care} days".
        events += [SlotSet(name, value) for name, value in settings.checkin_slots().items()]
        events.append(ActionExecuted("action_listen"))
        return events
