"""The triage form's validation: read the answer, keep the flags, choose what to ask next.

Which question comes next is `bot.clinical.triage.remaining_questions`: the form ends early as soon as
a red flag settles the level, including one typed in the middle of the questions.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from bot.clinical import answers, triage

FORM = "triage_form"
# Intents that leave the question unanswered on purpose: the form steps aside, a rule
# answers them, and the form then asks its question again.
INTERRUPTIONS = {
    "faq", "technique", "chitchat", "ask_warning_signs", "ask_alternatives", "ask_sources",
    "bot_challenge", "ask_human", "start_over", "goodbye", "out_of_scope", "delete_my_data",
}


def is_new_user_turn(tracker: Tracker) -> bool:
    """True when the form runs right after a user message (not when it resumes).

    Rasa shows this action a tracker that ends with the form's own ActionExecuted; the action
    before it tells whether the user has just spoken or a rule has just answered them.
    """
    seen_form = False
    for event in reversed(tracker.events):
        if event.get("event") != "action":
            continue
        if not seen_form and event.get("name") == FORM:
            seen_form = True
            continue
        return event.get("name") == "action_listen"
    return False


# Responses this module sends (checked against the domain by the tests).
RESPONSES = ("utter_answer_not_understood",)


class ValidateTriageForm(Action):
    def name(self) -> Text:
        return "validate_triage_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = []
        known = slots.answers(tracker)
        requested: Optional[str] = tracker.get_slot(slots.REQUESTED_SLOT)
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        new_flags = slots.reported_flags(tracker)

        if requested in triage.QUESTION_BY_ID and is_new_user_turn(tracker):
            value = answers.interpret(requested, intent, message.get("entities") or [],
                                      message.get("text") or "")
            if value is not None:
                known[requested] = value
                events.append(SlotSet(requested, value))
            elif new_flags:
                # The flags decide below; re-setting them tells the form this turn counted.
                events.append(SlotSet(slots.FLAGS, slots.flags(tracker)))
            elif intent in INTERRUPTIONS:
                return []  # the form steps aside; a rule answers, then the form resumes
            else:
                dispatcher.utter_message(response=RESPONSES[0])
                events.append(SlotSet(requested, None))

        remaining = triage.remaining_questions(known, slots.flags(tracker))
        events.append(SlotSet(slots.REQUESTED_SLOT, remaining[0] if remaining else None))
        return events
