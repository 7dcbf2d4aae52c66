"""The triage form's validation: read the answer, keep the flags, choose what to ask next.

Which question comes next is `bot.clinical.triage.remaining_questions`: the form ends early as
soon as a red flag settles the level, including one typed in the middle of the questions, and
asks first the emergency screens the person's words touched without settling them.

What the person has already said is not asked again: a severity, duration, trend, spread or age
stated in any message since the last recommendation fills that question
(`bot.clinical.answers.extract_details`). The red-flag screens are always asked explicitly: a
partial denial in free text ("no numbness") does not cover a whole screen.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.answer_question import question_response
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


def said_before(tracker: Tracker, latest_only: bool = False) -> Dict[str, str]:
    """Details (not screens) stated in the person's messages since the last recommendation,
    the latest message winning. Once the check runs, earlier messages were read on their own
    turn (and their details kept in slots): `latest_only` reads just the newest."""
    texts = []
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_give_disposition":
            break
        if event.get("event") == "user":
            texts.append(((event.get("text") or ""), (event.get("parse_data") or {})))
            if latest_only:
                break
    details: Dict[str, str] = {}
    for text, parse in reversed(texts):
        if text.startswith("/"):
            continue  # a button: its value is read by interpret() as the answer it was
        details.update(answers.extract_details(text, parse.get("entities") or []))
    return details


# Responses this module sends (checked against the domain by the tests).
RESPONSES = ("utter_answer_not_understood",
             # asked by the form through requested_slot, though not a required slot
             f"utter_ask_{triage.ALL_EMERGENCY_SCREENS.id}")


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
            question = question_response(tracker)
            if value is not None:
                known[requested] = value
                events.append(SlotSet(requested, value))
            elif new_flags:
                # The flags decide below; re-setting them tells the form this turn counted.
                events.append(SlotSet(slots.FLAGS, slots.flags(tracker)))
            elif question:
                # A question with a symptom in it: answered here, then the question again.
                dispatcher.utter_message(response=question)
                events.append(SlotSet(requested, None))
            elif intent in INTERRUPTIONS:
                return []  # the form steps aside; a rule answers, then the form resumes
            else:
                dispatcher.utter_message(response=RESPONSES[0])
                events.append(SlotSet(requested, None))

        # When the check starts, every message since the last recommendation; then the newest.
        for question_id, value in said_before(tracker, latest_only=requested is not None).items():
            if known.get(question_id) is None:
                known[question_id] = value
                events.append(SlotSet(question_id, value))

        ask_first = slots.ask_first(tracker) + slots.screen_hints(tracker)
        remaining = triage.remaining_questions(known, slots.flags(tracker), ask_first)
        events.append(SlotSet(slots.REQUESTED_SLOT, remaining[0] if remaining else None))
        return events
