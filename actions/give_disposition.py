"""Give the recommendation: the level from bot.clinical.triage, the reasons, and what to do next.

The level is never lower than one given before in the conversation. The message that gives
it carries a custom payload {"disposition": ...} so a widget can show, e.g., a call button.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import slots
from bot.clinical import triage
from bot.storage.case_log import CaseLog

CASE_LOG = CaseLog()

# What follows the disposition itself, by level (response names; the texts are in the domain).
FOLLOW_UP = {
    triage.EMERGENCY: [],
    triage.URGENT: ["utter_safety_net"],
    triage.SEE_DOCTOR: ["utter_self_care_rest", "utter_safety_net"],
    triage.SELF_CARE: ["utter_self_care_rest", "utter_self_care_course", "utter_alternatives",
                       "utter_alternatives_more", "utter_return_to_leg_press",
                       "utter_safety_net"],
}


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


def possible_responses() -> set:
    """Every response this action can send (checked against the domain by the tests)."""
    responses = {f"utter_disposition_{level}" for level in triage.LADDER}
    responses |= {r for follow_up in FOLLOW_UP.values() for r in follow_up}
    responses |= {response_for_rule(rule) for rule in triage.all_rules()} - {None}
    return responses


RESPONSES = tuple(sorted(possible_responses()))


class ActionGiveDisposition(Action):
    def name(self) -> Text:
        return "action_give_disposition"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        outcome = triage.assess(slots.answers(tracker), slots.flags(tracker),
                                previous=tracker.get_slot(slots.DISPOSITION))
        level = outcome.disposition

        said = set()
        for rule in outcome.reasons:
            response = response_for_rule(rule)
            if response and response not in said:
                said.add(response)
                dispatcher.utter_message(response=response)

        dispatcher.utter_message(
            response=f"utter_disposition_{level}",
            json_message={"disposition": level,
                          "emergency_number": tracker.get_slot(slots.EMERGENCY_NUMBER)},
        )
        for response in FOLLOW_UP[level]:
            if response not in said:
                dispatcher.utter_message(response=response)
        # A blocking database call: in a worker thread, so that a slow database holds up this
        # conversation only, not every conversation of the action server.
        await asyncio.to_thread(
            CASE_LOG.record, sender_id=tracker.sender_id, turn=slots.turn_id(tracker),
            channel=tracker.get_latest_input_channel(), outcome=outcome,
            flags=slots.flags(tracker), symptoms=tracker.get_slot(slots.SYMPTOMS) or [])
        # The answers belong to this check: a later "it still hurts" starts a new one (the
        # level and the red flags stay, so it can only end as high or higher).
        cleared = [SlotSet(q, None) for q in triage.FORM_QUESTION_IDS]
        return [SlotSet(slots.DISPOSITION, level), SlotSet(slots.TRIAGE_RULE, outcome.rule)] \
            + cleared
