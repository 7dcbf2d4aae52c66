"""The recommendation: the level from bot.clinical.triage, the reasons, and what to do next.

Given by the triage form's last validation (actions/validate_triage_form.py), in the same call
to the action server as the answer that completes the check: no action runs after the form.
The result fits one phone screen: the reasons, then the level's response, which says what to do
now and (below the emergency level) the safety net: the emergency signs and the number. The
details (self-care tips, safer exercises, when to get help) are behind that response's buttons,
answered by data/rules/results.yml. The level is never lower than one given before in the
conversation. The message that gives it carries a custom payload {"disposition": ...} so a
widget can show, e.g., a call button, and {"summary_url": "/summary/<token>"}: the handover
summary (issue 16), stored before the advice is sent, served by the widget's page server as a
printable page (.pdf and .txt for the other formats); its button shows it in the chat too.
Self-care and see-a-doctor results offer a check-in later with a button (actions/checkin.py).
"""
from __future__ import annotations

import asyncio
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import handover, slots
from bot.clinical import triage
from bot.storage.case_log import CaseLog
from bot.storage.summary_store import SummaryStore

CASE_LOG = CaseLog()
SUMMARIES = SummaryStore()
SUMMARY_PATH = "/summary/"


def response_for_rule(rule: str) -> Optional[str]:
    """The response that tells the person why, for a rule id of bot.clinical.triage."""
    if rule.startswith("flag:"):
        return "utter_flag_" + rule.split(":", 1)[1]
    if rule.endswith(":unsure"):
        question = triage.QUESTION_BY_ID[rule.split(":", 1)[0]]
        return "utter_reason_unsure_" + question.level_if_yes
    if rule.endswith(":yes") or rule in ("no_flags", "kept:previous"):
        return None  # they have just said so themselves
    return "utter_reason_" + rule


# Said before the advice when it is kept from earlier in the conversation (with the reason it
# was given then), when the person asked to skip the questions, and for each detail assumed
# after a second "not sure" (issue 14).
KEPT = "utter_reason_kept_previous"
PROVISIONAL = "utter_provisional"


def assumed_response(question_id: str) -> str:
    return f"utter_assumed_{question_id}"


def earlier_reason(rule: str) -> Optional[str]:
    """What to remind the person of when a level from earlier stays: the reason it was given,
    including a yes to a screen question (which needs no reason at the time it is said)."""
    if rule.endswith(":yes"):
        return "utter_said_yes_" + rule.split(":", 1)[0]
    if rule in ("no_flags", "kept:previous"):
        return None
    return response_for_rule(rule)


def possible_responses() -> set:
    """Every response the recommendation can send (checked against the domain by the tests)."""
    responses = {f"utter_disposition_{level}" for level in triage.LADDER}
    responses |= {KEPT, PROVISIONAL} | {assumed_response(q) for q in triage.ASSUMED_IF_UNSURE}
    responses |= {earlier_reason(rule) for rule in triage.all_rules()} - {None}
    responses.add(response_for_rule(triage.MEDICINE_OVERDOSE))
    responses |= {response_for_rule(rule) for rule in triage.all_rules()} - {None}
    return responses


RESPONSES = tuple(sorted(possible_responses()))


async def give(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Send the recommendation for what `tracker` holds (its slots as the check's last answer
    left them) and return its events: the level and its rule kept, the answers cleared."""
    findings = slots.Findings(tracker)
    outcome = triage.assess(slots.answers(tracker), findings.flags,
                            previous=tracker.get_slot(slots.DISPOSITION))
    level = outcome.disposition

    said = set()
    rule_kept = outcome.rule
    if outcome.rule == "kept:previous":
        # The level stays from earlier in the conversation: say so, and why it was given.
        rule_kept = tracker.get_slot(slots.TRIAGE_RULE) or outcome.rule
        dispatcher.utter_message(response=KEPT)
        earlier = earlier_reason(rule_kept)
        if earlier:
            said.add(earlier)
            dispatcher.utter_message(response=earlier)
    for rule in outcome.reasons:
        response = response_for_rule(rule)
        if response and response not in said:
            said.add(response)
            dispatcher.utter_message(response=response)
    if tracker.get_slot(slots.PROVISIONAL):
        dispatcher.utter_message(response=PROVISIONAL)
    for question_id in tracker.get_slot(slots.ASSUMED) or []:
        if question_id in triage.ASSUMED_IF_UNSURE:
            dispatcher.utter_message(response=assumed_response(question_id))

    custom = {"disposition": level, "emergency_number": tracker.get_slot(slots.EMERGENCY_NUMBER)}
    facts = handover.facts(tracker, outcome, rule_kept)

    def store() -> Optional[tuple]:
        # The summary first (its link goes out with the advice), then the case record: one
        # after the other in one worker thread. Side by side in two threads they waited for
        # each other (SQLite's write lock, the GIL): 3.96 ms against 2.17 for both on SQLite,
        # 3.63 against 3.15 on PostgreSQL (docs/benchmarks-notes.md, session 14).
        stored = SUMMARIES.create(tracker.sender_id, facts)
        CASE_LOG.record(sender_id=tracker.sender_id, turn=slots.turn_id(tracker),
                        channel=tracker.get_latest_input_channel(), outcome=outcome,
                        flags=findings.flags, symptoms=findings.symptoms)
        return stored

    # Blocking database calls: in a worker thread, so that a slow database holds up this
    # conversation only, not every conversation of the action server.
    stored = await asyncio.to_thread(store)
    if stored:
        custom["summary_url"] = SUMMARY_PATH + stored[0]
    dispatcher.utter_message(response=f"utter_disposition_{level}", json_message=custom)
    # The answers belong to this check: a later "it still hurts" starts a new one (the
    # level and the red flags stay, so it can only end as high or higher).
    cleared = [SlotSet(q, None) for q in triage.FORM_QUESTION_IDS]
    return findings.slot_events(tracker) + [
        SlotSet(slots.DISPOSITION, level), SlotSet(slots.TRIAGE_RULE, rule_kept)] + cleared
