"""Where the last recommendation is in a conversation, now that the triage form's last
validation gives it (no action runs after the form).

The events are Rasa's own (rasa.shared.core.events, as the Rasa server sends them to the action
server), in the order Rasa logs a form's run: the form's ActionExecuted, then its events (the
validation's replies and slots, requested_slot none, the loop set to none). What was said
before a recommendation must not fill the next check's questions, and what was said after it
must; a goodbye that stops the questions gives no recommendation and is no boundary.
"""
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, SessionStarted,
                                     SlotSet, UserUttered)
from rasa_sdk import Tracker

from actions import slots, validate_triage_form

FORM = "triage_form"


def said(text):
    return [ActionExecuted("action_listen"),
            UserUttered(text, intent={"name": "report_symptom", "confidence": 0.9})]


def form_asks(question):
    return [ActionExecuted(FORM), ActiveLoop(FORM), SlotSet("requested_slot", question),
            BotUttered("a question")]


def form_gives_the_result():
    """The form's last run: its validation sent the advice and told it it is done."""
    return [ActionExecuted(FORM), BotUttered("the advice", data={"custom": {
        "disposition": "self_care"}}), SlotSet("disposition", "self_care"),
        SlotSet("requested_slot", None), ActiveLoop(None)]


def goodbye_stops_the_questions():
    return [ActionExecuted("utter_goodbye"), BotUttered("bye"),
            ActionExecuted("action_deactivate_loop"), ActiveLoop(None)]


def tracker(events, slot_values=None):
    dicts = [event.as_dict() for event in events]
    latest = next(e for e in reversed(dicts) if e["event"] == "user")
    return Tracker("t", dict(slot_values or {}), latest.get("parse_data") or {}, dicts, False,
                   None, {}, None)


def test_details_said_before_the_last_result_do_not_fill_the_next_check():
    events = [SessionStarted(), *said("it has been 3 weeks and it is a 7 out of 10"),
              *form_asks("severity"), *form_gives_the_result(),
              *said("my back hurts again, only in my back"), ActionExecuted(FORM)]
    details = validate_triage_form.said_before(tracker(events))
    assert details.get("spread") == "none"
    assert "duration" not in details and "severity" not in details


def test_a_goodbye_that_stopped_the_questions_is_not_a_result():
    events = [SessionStarted(), *said("it has been 3 weeks"), *form_asks("severity"),
              *said("bye"), *goodbye_stops_the_questions(),
              *said("my back still hurts"), ActionExecuted(FORM)]
    assert validate_triage_form.said_before(tracker(events)).get("duration") == "2_6_weeks"


def test_the_result_of_the_turn_running_now_is_not_yet_a_boundary():
    """The validation sees a tracker that ends with its form's ActionExecuted: the message
    just read belongs to the check that is ending now."""
    events = [SessionStarted(), *said("it has been 3 weeks"), ActionExecuted(FORM)]
    assert validate_triage_form.said_before(tracker(events)).get("duration") == "2_6_weeks"


def test_a_conversation_stored_before_the_change_still_marks_its_result():
    events = [SessionStarted(), *said("it has been 3 weeks"), *form_asks("severity"),
              ActionExecuted(FORM), SlotSet("requested_slot", None), ActiveLoop(None),
              ActionExecuted(slots.EARLIER_RESULT_ACTION), BotUttered("the advice"),
              *said("my back hurts again"), ActionExecuted(FORM)]
    assert "duration" not in validate_triage_form.said_before(tracker(events))


def test_red_flags_before_a_result_were_settled_by_it_and_later_ones_count():
    flag = {"entity": "red_flag", "value": "saddle_numbness", "start": 0, "end": 8}
    events = [SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("numbness down there", intent={"name": "report_red_flag"},
                          entities=[flag]),
              *form_gives_the_result(), ActionExecuted("action_listen"),
              UserUttered("fever too", intent={"name": "report_red_flag"}, entities=[
                  {"entity": "red_flag", "value": "fever", "start": 0, "end": 5}])]
    findings = slots.Findings(tracker(events, {"flags": ["saddle_numbness"]}))
    assert findings.flags == ["saddle_numbness", "fever"]
    # what the slots already hold is not read again from the messages before the result
    assert slots.Findings(tracker(events, {})).flags == ["fever"]


def test_the_recommendation_reads_the_slots_as_the_validation_leaves_them():
    base = tracker([SessionStarted(), *said("hi")], {"severity": None, "flags": []})
    view = slots.with_slots(base, [{"event": "slot", "name": "severity", "value": "mild"},
                                   {"event": "bot", "text": "ok"}])
    assert view.get_slot("severity") == "mild" and view.get_slot("flags") == []
    assert base.get_slot("severity") is None  # the tracker itself is left as it was
    assert view.events is base.events and view.sender_id == base.sender_id
