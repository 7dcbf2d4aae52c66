"""validate_checkin_form on real trackers: what it reads as the answer to "How is your back
now?", what it steps aside for, and how the question is asked next. (End to end, with the
trained model, in tests/integration/test_checkins.py.)"""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.validate_checkin_form import ASKED_JUST_BEFORE, ValidateCheckinForm

OPEN = {"requested_slot": "checkin_answer", "checkin_answer": None, "checkin_prompt": "first"}


def validate(text, intent="inform", entities=(), slots=OPEN, after="action_listen",
             metadata=None):
    """The validation of one message sent while the question is open (`after`: the action
    before the form's own: action_listen when the person has just written)."""
    events = [{"event": "action", "name": "checkin_form"},
              {"event": "action", "name": "action_listen"},
              {"event": "user", "text": text, "metadata": metadata or {}}]
    if after != "action_listen":
        events.append({"event": "action", "name": after})
    events.append({"event": "action", "name": "checkin_form"})
    tracker = Tracker("someone", dict(slots), {
        "text": text, "intent": {"name": intent}, "entities": list(entities)},
        events, False, None, {"name": "checkin_form"}, "action_listen")
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ValidateCheckinForm().run(dispatcher, tracker, {}))
    return {e["name"]: e["value"] for e in result if e.get("event") == "slot"}, \
        [m.get("response") for m in dispatcher.messages]


def test_words_that_answer_end_the_question():
    assert validate("loads better thanks", "thank")[0] == {
        "checkin_answer": "better", "requested_slot": None}
    assert validate("much the same tbh")[0]["checkin_answer"] == "same"
    assert validate("it's got worse since we talked", "report_symptom")[0][
        "checkin_answer"] == "worse"


def test_an_answer_button_is_its_value():
    button = [{"entity": "checkin_answer", "value": "same"}]
    assert validate('/checkin_answer{"checkin_answer":"same"}', "checkin_answer",
                    button)[0]["checkin_answer"] == "same"


def test_a_current_red_flag_is_the_answer_whatever_the_words_say():
    flag = [{"entity": "red_flag", "value": "saddle_numbness"}]
    assert validate("a lot better, just numb down there", "report_red_flag",
                    flag)[0]["checkin_answer"] == "red_flag"
    # the classifier's report_red_flag about the body, with no pattern match, counts too
    assert validate("worse and my foot went numb", "report_red_flag")[0][
        "checkin_answer"] == "red_flag"
    # a denied sign is no flag
    denied = [{"entity": "red_flag", "value": "saddle_numbness", "role": "negated"}]
    assert validate("better, no numbness at all", "inform", denied)[0][
        "checkin_answer"] == "better"


def test_unclear_words_ask_again_and_keep_nothing():
    slots, said = validate("hmm well I went to the gym on monday", "faq")
    assert slots == {"checkin_prompt": "unclear", "requested_slot": "checkin_answer"}
    assert said == []


def test_words_written_before_the_question_was_shown_do_not_get_it_twice():
    slots, _ = validate("hello again", "greet", metadata={ASKED_JUST_BEFORE: True})
    assert slots == {"checkin_prompt": "shown", "requested_slot": "checkin_answer"}


def test_stop_check_ins_questions_and_too_much_medicine_step_aside():
    for text, intent in (("better, but stop check-ins please", "stop_checkins"),
                         ("delete my data", "delete_my_data"),
                         ("I took 12 ibuprofen and it's better", "medicine_overdose"),
                         ("is it normal that it's still sore?", "faq"),
                         ("what are the warning signs", "ask_warning_signs")):
        assert validate(text, intent) == ({}, []), text


def test_a_goodbye_that_answers_is_an_answer_and_one_that_does_not_steps_aside():
    assert validate("better now thanks, bye", "goodbye")[0]["checkin_answer"] == "better"
    assert validate("ok bye", "goodbye") == ({}, [])


def test_opened_and_resumed_the_question_is_worded_for_the_moment():
    assert validate("/checkin_due", "checkin_due", slots={"requested_slot": None})[0] == {
        "checkin_answer": None, "checkin_prompt": "first", "requested_slot": "checkin_answer"}
    assert validate("can I use heat?", "faq", after="utter_faq")[0] == {
        "checkin_prompt": "again", "requested_slot": "checkin_answer"}


def test_a_question_told_with_the_answer_is_answered_too():
    question = [{"entity": "question", "value": "utter_faq/pulled_muscle"},
                {"entity": "symptom", "value": "pain"}]
    slots, said = validate("still sore, is it just a pulled muscle", "report_symptom",
                           question)
    assert slots["checkin_answer"] == "same" and said == ["utter_faq/pulled_muscle"]


def test_the_form_and_the_slots_it_sets_are_in_the_domain():
    from tests.unit.test_response_text import DOMAIN

    assert {"checkin_answer", "checkin_prompt"} <= {slot.name for slot in DOMAIN.slots}
    assert DOMAIN.forms["checkin_form"]["required_slots"] == ["checkin_answer"]
    assert {"validate_checkin_form", "action_ask_checkin_answer"} <= set(DOMAIN.user_actions)


def test_a_check_in_due_while_the_question_is_open_asks_it_as_new():
    """Not an unclear answer: the channel delivered another due check-in."""
    assert validate("/checkin_due", "checkin_due")[0] == {
        "checkin_prompt": "first", "requested_slot": "checkin_answer"}
