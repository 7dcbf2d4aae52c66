"""The check-in's question, "How is your back now?", kept open until it is answered.

`checkin_form` (one slot, `checkin_answer`) is opened by action_checkin_open when a due
check-in arrives; while it is open, every message comes here first (Rasa runs an active form
before any rule), so the answer is read from the person's own words by the clinical core
(`bot.clinical.checkin.read_answer`), not by the intent classifier:

- a current red flag or risk factor in the message (the NLU's patterns, ConText and learned
  detector, as everywhere) is the answer `red_flag`: the triage runs again, whatever the words
  say about the change;
- an answer button, or words that say better, the same or worse, answer it;
- "stop check-ins", "delete my data", "start over", too much medicine and a question asked as
  one ("can I use heat?") are never read as an answer: the form steps aside and their rule
  acts (data/rules/checkins.yml), then the check-in's question is asked again (or closed);
  so do a request or a goodbye whose words say nothing of the change;
- anything else gets the question again with its buttons (never a guess). When the message
  was written before the question was shown (the channel delivered the check-in just before
  it: a REST client or the shell writing after the days have passed), it is not asked twice.

The form's question itself is action_ask_checkin_answer (actions/checkin.py), worded by
`checkin_prompt`: the first time with the days since the advice, after unclear words, or
after a question was answered.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from actions.answer_question import question_response
from bot.clinical import checkin

FORM = "checkin_form"
# Set by the channel (bot/channels/checkin_delivery.py, ASKED_JUST_BEFORE) on a message that
# the person wrote before the check-in's question was shown: the action server does not import
# the channels, and tests/unit/test_checkin_reader.py checks the two names agree.
ASKED_JUST_BEFORE = "checkin_asked_just_before"
# Never an answer, whatever the words: their rules act on them (stop check-ins cancels, the
# erasure and the fresh start close the question, too much medicine gets urgent advice).
ALWAYS_ASIDE = {"stop_checkins", "delete_my_data", "start_over", "medicine_overdose"}
# Questions: when the message is asked as one ("can I use heat?", "what are the warning
# signs"), it is never read as an answer; its rule answers it, then the check-in's question is
# asked again. Not asked as a question, the words are read, and when they say nothing of the
# change the check-in's question comes again (the classifier reads many plain sentences as
# an FAQ: "hmm well I went to the gym on monday").
QUESTIONS = {"faq", "technique", "chitchat", "ask_warning_signs", "ask_alternatives",
             "ask_sources", "bot_challenge", "out_of_scope"}
QUESTION_WORDS = ("what", "whats", "what's", "how", "can", "could", "is", "are", "should",
                  "does", "do", "why", "when", "will", "would", "which", "where", "any", "am")
# Requests and feelings: read first ("fed up, it's no better" is an answer); when the words
# say nothing of the change, their rule answers, then the question is asked again (or, for a
# goodbye, closed).
ASIDE_UNLESS_ANSWER = {"ask_human", "medicine_other_person", "medicine_dose", "ask_self_care",
                       "ask_when_to_get_help", "show_summary", "express_feeling", "goodbye"}
FLAG_INTENT = "report_red_flag"
DUE_INTENT = "checkin_due"  # sent by the channel (bot/channels/checkin_delivery.py)
# Prompts of action_ask_checkin_answer.
FIRST, UNCLEAR, AGAIN, SHOWN = "first", "unclear", "again", "shown"


def is_new_user_turn(tracker: Tracker) -> bool:
    return slots.is_new_user_turn(tracker, FORM)


def written_before_the_question(tracker: Tracker) -> bool:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return bool((event.get("metadata") or {}).get(ASKED_JUST_BEFORE))
    return False


def asked_as_a_question(text: str) -> bool:
    words = text.strip().lower().split()
    return "?" in text or bool(words) and words[0] in QUESTION_WORDS


def button_answer(tracker: Tracker) -> Optional[str]:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == slots.CHECKIN_ANSWER and entity.get("value") in \
                (checkin.BETTER, checkin.SAME, checkin.WORSE):
            return entity["value"]
    return None


class ValidateCheckinForm(Action):
    def name(self) -> Text:
        return "validate_checkin_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        ask = [SlotSet(slots.REQUESTED_SLOT, slots.CHECKIN_ANSWER)]
        if tracker.get_slot(slots.REQUESTED_SLOT) != slots.CHECKIN_ANSWER:
            # Opened: the question, with the days since the advice.
            return [SlotSet(slots.CHECKIN_ANSWER, None), SlotSet(slots.CHECKIN_PROMPT, FIRST)] \
                + ask
        if not is_new_user_turn(tracker):
            # Back after a rule answered a question: the check-in's question again.
            return [SlotSet(slots.CHECKIN_PROMPT, AGAIN)] + ask
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = message.get("text") or ""
        if intent == DUE_INTENT:
            # Another check-in fell due while this question is open: the question as new.
            return [SlotSet(slots.CHECKIN_PROMPT, FIRST)] + ask
        if slots.reported_flags(tracker) or intent == FLAG_INTENT:
            answer: Optional[str] = checkin.RED_FLAG
        elif intent in ALWAYS_ASIDE or intent in QUESTIONS and asked_as_a_question(text):
            return []  # the form steps aside: a rule acts on it
        else:
            answer = button_answer(tracker) or checkin.read_answer(text)
            if answer is None and intent in ASIDE_UNLESS_ANSWER:
                return []
        if answer is None:
            prompt = SHOWN if written_before_the_question(tracker) else UNCLEAR
            return [SlotSet(slots.CHECKIN_PROMPT, prompt)] + ask
        question = question_response(tracker)
        if question:  # "still sore, is that normal?": answered, then the answer acted on
            dispatcher.utter_message(response=question)
        return [SlotSet(slots.CHECKIN_ANSWER, answer), SlotSet(slots.REQUESTED_SLOT, None)]
