"""Two turns around the advice (issue 14), thin on purpose; the wording is in the domain.

- An overdose or a mix-up of medicines gets urgent advice, and the conversation's level
  becomes at least urgent (bot.clinical.triage.level_after_overdose): a later check can only
  end as high or higher.
- "I meant no" once the advice is given: the level stays (it is never lowered in a
  conversation), and the person hears what it was based on and what to do if that was a
  mistake.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.result import earlier_reason, response_for_rule
from bot.clinical import triage

OVERDOSE = "utter_medicine_overdose"
STAYS_INTRO = "utter_level_stays_intro"
# Responses this module sends (checked against the domain by the tests).
RESPONSES = (OVERDOSE, STAYS_INTRO, "utter_level_stays_none",
             response_for_rule(triage.MEDICINE_OVERDOSE)) + tuple(
    f"utter_level_stays_{level}" for level in triage.LADDER)


class ActionMedicineOverdose(Action):
    def name(self) -> Text:
        return "action_medicine_overdose"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        previous = tracker.get_slot(slots.DISPOSITION)
        level = triage.level_after_overdose(previous)
        # The payload a widget reads to show the level (as the recommendation's, actions/result.py).
        dispatcher.utter_message(response=OVERDOSE, json_message={
            "disposition": level, "emergency_number": tracker.get_slot(slots.EMERGENCY_NUMBER)})
        if level == previous:
            return []
        return [SlotSet(slots.DISPOSITION, level),
                SlotSet(slots.TRIAGE_RULE, triage.MEDICINE_OVERDOSE)]


class ActionExplainLevel(Action):
    def name(self) -> Text:
        return "action_explain_level"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        level = tracker.get_slot(slots.DISPOSITION)
        if level not in triage.LADDER:
            dispatcher.utter_message(response="utter_level_stays_none")
            return []
        dispatcher.utter_message(response=STAYS_INTRO)
        rule = tracker.get_slot(slots.TRIAGE_RULE) or ""
        reason = earlier_reason(rule) if rule else None
        if reason:
            dispatcher.utter_message(response=reason)
        dispatcher.utter_message(response=f"utter_level_stays_{level}")
        return []
