"""Reading the triage state out of a tracker (slot names live here, in one place)."""
from __future__ import annotations

from typing import Dict, List, Optional

from rasa_sdk import Tracker

from bot.clinical import triage

FLAGS = "flags"
SYMPTOMS = "symptoms"
DISPOSITION = "disposition"
TRIAGE_RULE = "triage_rule"
EMERGENCY_NUMBER = "emergency_number"
REQUESTED_SLOT = "requested_slot"
ASK_FIRST = "ask_first"
# The conversation around the questions (issue 14): which questions had one "not sure" (asked
# again in plainer words), whether the question now asked is the plainer version, the details
# assumed after a second "not sure", the last question answered (for "I meant no" / Undo),
# and a request to skip to the advice (the result is then provisional).
UNSURE_BEFORE = "unsure_before"
REPHRASE = "rephrase"
ASSUMED = "assumed"
LAST_ANSWER = "last_answer"
SKIP_ASKED = "skip_asked"
PROVISIONAL = "provisional"
# The check-in (issue 16): its answer (better, same, worse, red_flag), read while its question
# is open (actions/validate_checkin_form.py), and how that question is worded next.
CHECKIN_ANSWER = "checkin_answer"
CHECKIN_PROMPT = "checkin_prompt"
# Entities whose values are flags: red flags and risk factors (e.g. pregnancy).
FLAG_ENTITIES = ("red_flag", "risk_factor")


def answers(tracker: Tracker) -> Dict[str, Optional[str]]:
    return {q: tracker.get_slot(q) for q in triage.FORM_QUESTION_IDS}


def flags(tracker: Tracker) -> List[str]:
    return list(tracker.get_slot(FLAGS) or [])


def mentioned(tracker: Tracker, entity_names, known=None) -> List[str]:
    """Values of these entities in the latest message that are the person's current ones
    (not negated, someone else's, past or hypothetical), each once, in order;
    with `known`, only values in it."""
    return _current(tracker.latest_message.get("entities") or [], entity_names, known)


def _current(entities, entity_names, known=None) -> List[str]:
    found = []
    for entity in entities:
        value = entity.get("value")
        if (entity.get("entity") in entity_names
                and entity.get("role") not in triage.NOT_CURRENT_ROLES
                and (known is None or value in known) and value not in found):
            found.append(value)
    return found


def reported_flags(tracker: Tracker) -> List[str]:
    """Red flags and risk factors in the latest message that are not negated."""
    return mentioned(tracker, FLAG_ENTITIES, known=triage.FLAG_LEVEL)


def _hints(entities) -> List[str]:
    found = []
    for entity in entities:
        value = entity.get("value")
        if (entity.get("entity") == "screen_hint" and value in triage.EMERGENCY_SCREENS
                and entity.get("role") != "possible" and value not in found):
            found.append(value)
    return found


FORM = "triage_form"  # the triage form (domain.yml; its validation: actions/validate_triage_form)
# Before the triage form's last validation gave the recommendation (session 14), an action
# after the form did: conversations stored then still mark their results with it.
EARLIER_RESULT_ACTION = "action_give_disposition"


def since_last_result(events: List[dict]):
    """The events after the last recommendation, newest first. A recommendation ends the
    triage form: the form's own action sets its loop to none (its last validation gives the
    result, actions/result.py); a goodbye or a request to delete the data deactivates it
    through another action, with no result."""
    ended = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "active_loop":
            ended = event.get("name") is None
        elif kind == "action":
            name = event.get("name")
            if (ended and name == FORM) or name == EARLIER_RESULT_ACTION:
                return
            ended = False
        yield event


# Where the findings of the messages before were last settled, besides a recommendation (its
# validation kept them in slots): a start over (it clears the symptoms), a restart or a new
# session (their own actions carry over what stays).
_SETTLED_BY = {"action_start_over", "action_restart"}


def _entities_since_settled(tracker: Tracker) -> List[list]:
    """The entities of each user message since the findings were last settled, oldest first."""
    found = []
    for event in since_last_result(tracker.events):
        kind = event.get("event")
        if kind in ("restart", "session_started") or (
                kind == "action" and event.get("name") in _SETTLED_BY):
            break
        if kind == "user":
            found.append((event.get("parse_data") or {}).get("entities") or [])
    return found[::-1]


def with_slots(tracker: Tracker, events: List[dict]) -> Tracker:
    """The tracker with the slots as an action's own events (not yet applied by Rasa) leave
    them; the rest shared, not copied (read only)."""
    values = dict(tracker.slots)
    for event in events:
        if event.get("event") == "slot":
            values[event["name"]] = event.get("value")
    return Tracker(tracker.sender_id, values, tracker.latest_message, tracker.events,
                   tracker.is_paused(), tracker.followup_action, tracker.active_loop,
                   tracker.latest_action_name)


class Findings:
    """What the person has reported: the red flags and risk factors (never forgotten), the
    symptoms, and the emergency screens their words touched without settling (asked first).

    Read from the slots plus every message since they were last settled, so that a message
    the form stepped aside for (a question with a risk factor in it) still counts. No action
    has to run after each message for it: validate_triage_form keeps them in their slots on
    every turn of a check (one call to the action server a turn, not two)."""

    def __init__(self, tracker: Tracker):
        self.flags = flags(tracker)
        self.symptoms = list(tracker.get_slot(SYMPTOMS) or [])
        self.ask_first = ask_first(tracker)
        for entities in _entities_since_settled(tracker):
            for kept, new in ((self.flags, _current(entities, FLAG_ENTITIES, triage.FLAG_LEVEL)),
                              (self.symptoms, _current(entities, ("symptom",))),
                              (self.ask_first, _hints(entities))):
                kept.extend(value for value in new if value not in kept)

    def slot_events(self, tracker: Tracker) -> list:
        """SlotSet events for the slots that do not hold these findings yet."""
        from rasa_sdk.events import SlotSet

        return [SlotSet(slot, values) for slot, values in (
            (FLAGS, self.flags), (SYMPTOMS, self.symptoms), (ASK_FIRST, self.ask_first))
            if list(tracker.get_slot(slot) or []) != values]


def screen_hints(tracker: Tracker) -> List[str]:
    """Emergency screens the latest message touched without settling them, asked on their own
    before the grouped questions: a sign of the patterns about someone else, the past or a
    "what if" (ConText). A reading of the learned detector (role `possible`) only starts the
    check: the first question, every emergency sign in one list, covers its screen, and the
    detector is often unsure of ordinary words ("since friday"), which would add a question
    for many people."""
    return _hints(tracker.latest_message.get("entities") or [])


def ask_first(tracker: Tracker) -> List[str]:
    return list(tracker.get_slot(ASK_FIRST) or [])


def turn_id(tracker: Tracker) -> str:
    """An id of the latest user turn (its timestamp): the same when an action is retried."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return repr(event.get("timestamp"))
    return "start"


def is_new_user_turn(tracker: Tracker, form: str) -> bool:
    """True when `form` runs right after a user message (not when it resumes after a rule
    answered a question). Rasa shows the form's validation a tracker that ends with the form's
    own ActionExecuted; the action before it tells whether the person has just spoken."""
    seen_form = False
    for event in reversed(tracker.events):
        if event.get("event") != "action":
            continue
        if not seen_form and event.get("name") == form:
            seen_form = True
            continue
        return event.get("name") == "action_listen"
    return False
