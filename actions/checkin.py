"""The check-in days after the advice (issue 16): offered by a button of the self-care and
see-a-doctor results ("Check in with me in 3 days"; a button, so the result stays within its
word budget), scheduled only when it is pressed, asked when due, and its answer acted on.

- action_schedule_checkin: the button. The delay is CHECKIN_DAYS_SELF_CARE or
  CHECKIN_DAYS_SEE_DOCTOR (bot/settings.py); the row lives in the records database
  (bot/storage/checkins.py), so it survives restarts and fires once (bot/channels/
  checkin_delivery.py sends it).
- action_checkin_open: the due check-in arrives as "/checkin_due": it opens `checkin_form`,
  whose question stays open until it is answered, in words or with a button
  (actions/validate_checkin_form.py reads the answer).
- action_ask_checkin_answer: the form's question: with the days since the advice the first
  time, in other words after an answer that was not clear, or after a question was answered.
- action_checkin_answer: what the answer leads to (bot.clinical.checkin.next_step): better ->
  how to return to the leg press; about the same -> the self-care advice, or after two weeks
  or more see a doctor (the triage's own "not improving" rule, so the level can only go up);
  worse or a red flag -> the triage again (a level is never lowered).
- action_stop_checkins: "stop check-ins" cancels every pending one.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import result, slots
from actions.validate_checkin_form import AGAIN, FORM, SHOWN, UNCLEAR
from bot import settings
from bot.clinical import checkin, triage
from bot.storage.checkin_log import CheckInLog

CHECKINS = CheckInLog()
# Intents that only buttons or the channel send (no NLU examples; make validate accepts them):
# the offer's button, the answer buttons (with their value), and the due check-in itself,
# which a person must not be able to trigger by typing.
PAYLOAD_ONLY_INTENTS = ("checkin_accept", "checkin_answer", "checkin_due")
QUESTION = {None: "utter_checkin_question", UNCLEAR: "utter_checkin_unclear",
            AGAIN: "utter_checkin_question_again"}
# Every response these actions send (checked against the domain by make validate).
RESPONSES = tuple(f"utter_checkin_scheduled_{level}" for level in settings.CHECKIN_LEVELS) + \
    result.RESPONSES + tuple(QUESTION.values()) + (
    "utter_checkin_not_offered", "utter_checkin_not_stored", "utter_default",
    "utter_checkin_nothing_open", "utter_checkin_better",
    "utter_return_to_leg_press", "utter_checkin_same", "utter_checkin_same_too_long",
    "utter_checkin_worse", "utter_checkin_red_flag", "utter_checkins_stopped",
    "utter_service_problem")


class ActionScheduleCheckin(Action):
    def name(self) -> Text:
        return "action_schedule_checkin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        level = tracker.get_slot(slots.DISPOSITION)
        if level not in settings.CHECKIN_LEVELS:
            dispatcher.utter_message(response="utter_checkin_not_offered")
            return []
        stored = await asyncio.to_thread(
            CHECKINS.schedule, tracker.sender_id, tracker.get_latest_input_channel(), level,
            settings.checkin_days(level))
        dispatcher.utter_message(response=f"utter_checkin_scheduled_{level}" if stored
                                 else "utter_checkin_not_stored")
        return []


class ActionCheckinOpen(Action):
    def name(self) -> Text:
        return "action_checkin_open"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        opened = await asyncio.to_thread(CHECKINS.opened, tracker.sender_id)
        if opened is None:  # typed by hand, or cancelled meanwhile: nothing to ask
            dispatcher.utter_message(response="utter_default")
            return []
        # The form asks (action_ask_checkin_answer) and keeps the question open.
        return [SlotSet(slots.CHECKIN_ANSWER, None), SlotSet(slots.CHECKIN_PROMPT, None),
                SlotSet(slots.REQUESTED_SLOT, None), FollowupAction(FORM)]


class ActionAskCheckinAnswer(Action):
    def name(self) -> Text:
        return "action_ask_checkin_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        prompt = tracker.get_slot(slots.CHECKIN_PROMPT)
        if prompt == SHOWN:
            return []  # the question is just above the message, with its buttons
        if prompt in (UNCLEAR, AGAIN):
            dispatcher.utter_message(response=QUESTION[prompt])
            return []
        opened = await asyncio.to_thread(CHECKINS.opened, tracker.sender_id)
        if opened is None:  # cancelled meanwhile: the question without the days
            dispatcher.utter_message(response=QUESTION[AGAIN])
        else:
            dispatcher.utter_message(response=QUESTION[None],
                                     days_since=str(opened["days_since"]))
        return []


def answer_of(tracker: Tracker) -> Optional[str]:
    """The answer read by the form, or the value of an answer button pressed without it."""
    answer = tracker.get_slot(slots.CHECKIN_ANSWER)
    if answer in checkin.ANSWERS:
        return answer
    return next((e.get("value") for e in tracker.latest_message.get("entities") or []
                 if e.get("entity") == slots.CHECKIN_ANSWER), None)


class ActionCheckinAnswer(Action):
    def name(self) -> Text:
        return "action_checkin_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        answer = answer_of(tracker)
        events: List[EventType] = [SlotSet(slots.CHECKIN_ANSWER, None),
                                   SlotSet(slots.CHECKIN_PROMPT, None)]
        if answer not in checkin.ANSWERS:
            dispatcher.utter_message(response="utter_default")
            return events
        opened = await asyncio.to_thread(CHECKINS.answer, tracker.sender_id, answer)
        step = checkin.next_step(answer, opened["days_since"] if opened else None)
        if step is None:
            dispatcher.utter_message(response="utter_checkin_nothing_open")
            return events
        if step == checkin.RETURN_TO_TRAINING:
            dispatcher.utter_message(response="utter_checkin_better")
            dispatcher.utter_message(response="utter_return_to_leg_press")
            return events
        if step == checkin.CARE_AT_HOME:
            dispatcher.utter_message(response="utter_checkin_same")
            return events
        if step == checkin.NOT_IMPROVING:
            # The triage's "not improving" rule: about the same, two weeks or more on. The
            # advice is given here, as the triage gives it, on these two answers.
            dispatcher.utter_message(response="utter_checkin_same_too_long")
            answered = [SlotSet("trend", "same"), SlotSet("duration", "2_6_weeks")]
            return events + answered + await result.give(
                dispatcher, slots.with_slots(tracker, answered))
        # Worse, or a red flag (the triage reads it from this message at once: actions/slots
        # Findings): the questions again, warning signs first; never a lower level.
        dispatcher.utter_message(response="utter_checkin_red_flag" if answer == checkin.RED_FLAG
                                 else "utter_checkin_worse")
        return events + [SlotSet(q, None) for q in triage.FORM_QUESTION_IDS] + \
            [FollowupAction("triage_form")]


class ActionStopCheckins(Action):
    def name(self) -> Text:
        return "action_stop_checkins"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        cancelled = await asyncio.to_thread(CHECKINS.cancel, tracker.sender_id)
        dispatcher.utter_message(response="utter_checkins_stopped" if cancelled is not None
                                 else "utter_service_problem")
        return []
