"""After every message: remember the red flags and symptoms it reported (never forgets), and
the emergency screens its words touched without settling (asked first: bot.clinical.triage)."""
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
        for slot, found in ((slots.FLAGS, slots.reported_flags(tracker)),
                            (slots.SYMPTOMS, slots.mentioned(tracker, ("symptom",))),
                            (slots.ASK_FIRST, slots.screen_hints(tracker))):
            known = list(tracker.get_slot(slot) or [])
            new = [value for value in found if value not in known]
            if new:
                events.append(SlotSet(slot, known + new))
        return events
