"""After every message: remember the red flags and symptoms it reported (never forgets)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots


class ActionTrackFindings(Action):
    def name(self) -> Text:
        return "action_track_findings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = []
        known_flags = slots.flags(tracker)
        new_flags = [f for f in slots.reported_flags(tracker) if f not in known_flags]
        if new_flags:
            events.append(SlotSet(slots.FLAGS, known_flags + new_flags))
        known_symptoms = list(tracker.get_slot(slots.SYMPTOMS) or [])
        new_symptoms = [s for s in slots.reported_symptoms(tracker) if s not in known_symptoms]
        if new_symptoms:
            events.append(SlotSet(slots.SYMPTOMS, known_symptoms + new_symptoms))
        return events
