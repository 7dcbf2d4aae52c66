"""The triage form's validation: read the answer, keep the flags, choose what to ask next,
and when nothing is left to ask, give the recommendation (actions/result.py) in the same call.

Which question comes next is `bot.clinical.triage.remaining_questions`: the form ends early as
soon as a red flag settles the level, including one typed in the middle of the questions, and
asks first the emergency screens the person's words touched without settling them.

The screens of a level are asked in one question while several of them are open (em_all, then
ur_all; bot.clinical.triage). What the person has already said is not asked again: a severity,
duration, trend, spread or age stated in any message since the last recommendation fills that
question (`bot.clinical.answers.extract_details`). The red-flag screens are always asked
explicitly: a partial denial in free text ("no numbness") does not cover a whole screen.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import result, slots
from actions.answer_question import question_response
from bot.clinical import answers, triage

FORM = slots.FORM
# Intents that leave the question unanswered on purpose: the form steps aside, a rule
# answers them, and the form then asks its question again. Their words are never read as an
# answer: "what's the difference between moderate and severe?" is not "severe".
INTERRUPTIONS = {
    "faq", "technique", "chitchat", "ask_warning_signs", "ask_alternatives", "ask_sources",
    "bot_challenge", "ask_human", "start_over", "goodbye", "out_of_scope", "delete_my_data",
    "ask_clarification", "push_back", "express_feeling", "medicine_overdose",
    "medicine_other_person", "medicine_dose", "ask_self_care", "ask_when_to_get_help",
    "stop_checkins",  # cancels the check-ins (data/rules/checkins.yml), then the question again
}
CORRECTION = "correct_answer"
# Interruptions the classifier may read into a plain "still don't know" (an FAQ, small talk):
# without a question mark, words of doubt are the answer.
READ_AS_DOUBT = {"faq", "technique", "chitchat", "out_of_scope", "ask_warning_signs",
                 "push_back", "express_feeling"}
# Interruptions whose words may still answer a detail question (read first).
ANSWER_FIRST = {"push_back", "express_feeling"}
SKIP = "skip_to_advice"


def is_new_user_turn(tracker: Tracker) -> bool:
    return slots.is_new_user_turn(tracker, FORM)


def started_by_the_person(tracker: Tracker) -> bool:
    """True when the form starts right after the person's message (the rule for a report),
    not as another action's follow-up."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") != FORM:
            return event.get("name") == "action_listen"
    return False


def said_before(tracker: Tracker, latest_only: bool = False) -> Dict[str, str]:
    """Details (not screens) stated in the person's messages since the last recommendation,
    the latest message winning. Once the check runs, earlier messages were read on their own
    turn (and their details kept in slots): `latest_only` reads just the newest."""
    texts = []
    for event in slots.since_last_result(tracker.events):
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
NOT_UNDERSTOOD = "utter_answer_not_understood"
CORRECTED = "utter_answer_corrected"
UNDONE = "utter_answer_undone"
NOTHING_TO_CORRECT = "utter_nothing_to_correct"
SKIP_AFTER_ONE = "utter_skip_after_one_question"
CLARIFY_RESPONSE = "utter_clarify"
ONE_LEG_NOT_LISTED = "utter_one_leg_not_listed"
INTRO = "utter_triage_intro"
REPORT = "report_symptom"
RESPONSES = (NOT_UNDERSTOOD, CORRECTED, UNDONE, NOTHING_TO_CORRECT, SKIP_AFTER_ONE,
             ONE_LEG_NOT_LISTED, INTRO,
             # asked by the form through requested_slot, though not required slots
             *(f"utter_ask_{group}" for group in triage.GROUPED_SCREENS))


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
        text = message.get("text") or ""
        entities = message.get("entities") or []
        new_flags = slots.reported_flags(tracker)
        # The red flags, symptoms and screens to ask first that the person has reported, kept
        # in their slots here (this validation runs on every turn of a check).
        findings = slots.Findings(tracker)
        unsure_before = list(tracker.get_slot(slots.UNSURE_BEFORE) or [])
        assumed = list(tracker.get_slot(slots.ASSUMED) or [])
        skip_asked = bool(tracker.get_slot(slots.SKIP_ASKED))
        rephrase, rephrased = False, requested

        events += findings.slot_events(tracker)
        if requested is None:
            # A new check: what the last one noted about the conversation starts afresh.
            events += [SlotSet(slots.UNSURE_BEFORE, []), SlotSet(slots.ASSUMED, []),
                       SlotSet(slots.LAST_ANSWER, None), SlotSet(slots.SKIP_ASKED, False),
                       SlotSet(slots.PROVISIONAL, False)]
            unsure_before, assumed, skip_asked = [], [], False

            if intent == REPORT and started_by_the_person(tracker):
                # A report starts the check: its question answered first, then what happens
                # next; the form asks its first question after this validation. (A check
                # started by another action, e.g. a check-in answer, has its own words.)
                answer = question_response(tracker)
                if answer:
                    dispatcher.utter_message(response=answer)
                dispatcher.utter_message(response=INTRO)

        new_turn = requested is None or is_new_user_turn(tracker)
        if new_turn and intent == SKIP:
            # "Just tell me what to do": the emergency screens once (all in one question),
            # then the advice for what is known, marked provisional.
            open_screens = triage.open_emergency_screens(known)
            if not skip_asked and open_screens and triage.decided_early(
                    known, findings.flags) != triage.EMERGENCY:
                dispatcher.utter_message(response=SKIP_AFTER_ONE)
                ask = triage.ALL_EMERGENCY_SCREENS.id if len(open_screens) > 1 \
                    else open_screens[0]
                return events + [SlotSet(slots.SKIP_ASKED, True),
                                 SlotSet(slots.REPHRASE, False),
                                 SlotSet(slots.REQUESTED_SLOT, ask)]
            return await finish(dispatcher, tracker, events + [
                SlotSet(slots.PROVISIONAL, True), SlotSet(slots.REPHRASE, False)])

        if requested in triage.QUESTION_BY_ID and new_turn:
            answering = requested
            if intent == CORRECTION:
                # "I meant no", "actually yes", Undo: the last answer, not the open question.
                answering = tracker.get_slot(slots.LAST_ANSWER)
                if answering is None:
                    dispatcher.utter_message(response=NOTHING_TO_CORRECT)
                    answering = None
            if answering is not None and intent not in INTERRUPTIONS and not new_flags \
                    and intent != CORRECTION and answers.asks_about_the_question(text):
                # A question about the question read as an answer ("what's the difference
                # between moderate and severe?" is not "severe"): explained
                # (the explanation for the question asked), then the same question again.
                dispatcher.utter_message(response=CLARIFY_RESPONSE)
                events.append(SlotSet(requested, None))
                answering = None
            elif answering is not None:
                value = None
                if intent not in INTERRUPTIONS or (
                        intent in ANSWER_FIRST and triage.QUESTION_BY_ID[answering].level_if_yes
                        is None):
                    # A detail answer the classifier took for push-back or a feeling ("no
                    # fever, it's just been 4 days") is still an answer. Not for a screen:
                    # "nah, I'm not going to hospital" is no "no" to an emergency sign.
                    value = answers.interpret(answering, None if intent == CORRECTION
                                              else intent, entities, text)
                doubt = value == triage.UNSURE or (
                    value is None and intent != CORRECTION and (
                        intent not in INTERRUPTIONS or intent in READ_AS_DOUBT
                        and "?" not in text) and answers.says_not_sure(intent, text))
                if doubt and not new_flags:
                    outcome = triage.after_not_sure(answering, unsure_before)
                    if outcome == triage.ASKED_AGAIN:
                        # The first "not sure": the question again, in plainer words.
                        unsure_before.append(answering)
                        events.append(SlotSet(slots.UNSURE_BEFORE, unsure_before))
                        rephrase, rephrased, value = True, answering, None
                        if answering != requested:
                            events.append(SlotSet(answering, None))
                            known[answering] = None
                    else:
                        value = outcome
                        if outcome != triage.UNSURE:
                            assumed.append(answering)
                            events.append(SlotSet(slots.ASSUMED, assumed))
                if (value == triage.YES and answering == requested and not new_flags
                        and triage.QUESTION_BY_ID[answering].level_if_yes == triage.EMERGENCY
                        and answering not in unsure_before
                        and answers.yes_for_one_leg_only(text, entities)):
                    # "yes my left leg is numb": one leg is not on the list (both legs are).
                    # Said, and the list asked once more; a second yes is a yes.
                    dispatcher.utter_message(response=ONE_LEG_NOT_LISTED)
                    unsure_before.append(answering)
                    events.append(SlotSet(slots.UNSURE_BEFORE, unsure_before))
                    rephrase, rephrased, value = True, answering, None
                question = question_response(tracker)
                if value is not None:
                    known[answering] = value
                    events += [SlotSet(answering, value), SlotSet(slots.LAST_ANSWER, answering)]
                    if intent == CORRECTION:
                        dispatcher.utter_message(response=CORRECTED)
                elif intent == CORRECTION and not rephrase:
                    # Undo, or a correction with no answer in it: that question again.
                    known[answering] = None
                    events += [SlotSet(answering, None), SlotSet(slots.LAST_ANSWER, None)]
                    dispatcher.utter_message(response=UNDONE)
                elif new_flags:
                    # The flags decide below; re-setting them tells the form this turn counted.
                    events.append(SlotSet(slots.FLAGS, findings.flags))
                elif rephrase:
                    events.append(SlotSet(requested, None))
                elif question:
                    # A question with a symptom in it: answered here, then the question again.
                    dispatcher.utter_message(response=question)
                    events.append(SlotSet(requested, None))
                elif intent in INTERRUPTIONS:
                    # The form steps aside (any slot set here would stop it doing so); a rule
                    # answers, then the form resumes and asks its question again.
                    return []
                else:
                    dispatcher.utter_message(response=NOT_UNDERSTOOD)
                    events.append(SlotSet(requested, None))
                    rephrase = True
            elif intent == CORRECTION:
                events.append(SlotSet(requested, None))

        # When the check starts, every message since the last recommendation; then the newest.
        for question_id, value in said_before(tracker, latest_only=requested is not None).items():
            if known.get(question_id) is None:
                known[question_id] = value
                events.append(SlotSet(question_id, value))

        remaining = triage.remaining_questions(known, findings.flags, findings.ask_first)
        if skip_asked and remaining and not triage.open_emergency_screens(known):
            # The one question before the advice the person asked for has been answered.
            remaining = ()
            events.append(SlotSet(slots.PROVISIONAL, True))
        if rephrase and remaining and remaining[0] != rephrased:
            rephrase = False  # the plainer words belong to the question asked again only
        events.append(SlotSet(slots.REPHRASE, rephrase))
        if not remaining:
            return await finish(dispatcher, tracker, events)
        return events + [SlotSet(slots.REQUESTED_SLOT, remaining[0])]


async def finish(dispatcher: CollectingDispatcher, tracker: Tracker,
                 events: List[EventType]) -> List[EventType]:
    """The check is complete: the recommendation, given in this same call (no action runs
    after the form: one call to the action server less on a result's turn), and the form
    told it is done (requested_slot none)."""
    given = await result.give(dispatcher, slots.with_slots(tracker, events))
    return events + given + [SlotSet(slots.REQUESTED_SLOT, None)]
