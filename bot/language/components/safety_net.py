"""The deterministic red-flag safety net.

Emergency detection must not depend on a classifier's mood: whenever the patterns found a red
flag that is not negated, the intent becomes `report_red_flag` with full confidence, whatever
the classifier (or the low-confidence fallback) said. The dialogue then routes every such
message into the triage, which jumps to the flag's level.

The other way round, the classifier's `report_red_flag` is only kept when the message is
about the body at all. When every red-flag mention the patterns found is negated ("no fever,
just sore"), or the message names no symptom, body part or sign whatsoever ("find me cheap
train tickets"), the next intent in the classifier's ranking is taken instead. A
`report_red_flag` about the body with no pattern match is kept: it may be a phrasing the
patterns miss, and it only starts the triage questions, which ask about every sign.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.language.components.entities import NEGATED_ROLE
from bot.language.components.stateless import StatelessComponent

RED_FLAG_INTENT = "report_red_flag"
SYMPTOM_INTENT = "report_symptom"
# A message read as a detail, a greeting or thanks, or not confidently read at all, that
# describes a complaint: "hey, did leg press yesterday and my lower back is killing me" is
# a report that opens with a greeting, not a greeting.
REPORT_IF_SYMPTOM = ("inform", "nlu_fallback", "greet", "thank")
RED_FLAG_ENTITY = "red_flag"
BODY_ENTITIES = {"red_flag", "risk_factor", "symptom", "body_part", "severity"}
INTENT_RANKING = "intent_ranking"


def has_red_flag(entities: List[Dict[Text, Any]]) -> bool:
    return any(e.get("entity") == RED_FLAG_ENTITY and e.get("role") != NEGATED_ROLE
               for e in entities or [])


def has_symptom(entities: List[Dict[Text, Any]]) -> bool:
    return any(e.get("entity") == "symptom" and e.get("role") != NEGATED_ROLE
               for e in entities or [])


def describes_a_complaint(entities: List[Dict[Text, Any]]) -> bool:
    """A symptom, or a body part with how bad it is ("my lower back is killing me")."""
    found = {e.get("entity") for e in entities or [] if e.get("role") != NEGATED_ROLE}
    return has_symptom(entities) or {"body_part", "severity"} <= found


def only_negated_red_flags(entities: List[Dict[Text, Any]]) -> bool:
    mentions = [e for e in entities or [] if e.get("entity") == RED_FLAG_ENTITY]
    return bool(mentions) and all(e.get("role") == NEGATED_ROLE for e in mentions)


def says_nothing_about_the_body(entities: List[Dict[Text, Any]]) -> bool:
    return not any(e.get("entity") in BODY_ENTITIES for e in entities or [])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagSafetyNet(StatelessComponent):

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not has_red_flag(message.get(ENTITIES)):
                entities = message.get(ENTITIES)
                if only_negated_red_flags(entities) or says_nothing_about_the_body(entities):
                    self._demote(message)
                self._detail_with_symptom_is_a_report(message)
                continue
            previous = message.get(INTENT) or {}
            if previous.get(INTENT_NAME_KEY) == RED_FLAG_INTENT:
                continue
            overridden = {INTENT_NAME_KEY: RED_FLAG_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, overridden, add_to_output=True)
            ranking = [r for r in message.get(INTENT_RANKING) or []
                       if r.get(INTENT_NAME_KEY) != RED_FLAG_INTENT]
            message.set(INTENT_RANKING, [overridden] + ranking, add_to_output=True)
        return messages

    @staticmethod
    def _demote(message: Message) -> None:
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) != RED_FLAG_INTENT:
            return
        ranking = [r for r in message.get(INTENT_RANKING) or []
                   if r.get(INTENT_NAME_KEY) != RED_FLAG_INTENT]
        if ranking:
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING, ranking, add_to_output=True)

    @staticmethod
    def _detail_with_symptom_is_a_report(message: Message) -> None:
        """"my back hurts a bit" read as a detail, or too close to call, would get "I haven't
        asked you anything" or "I didn't understand"; a message that names a symptom is a
        symptom report, and the triage starts (inside the form it is read the same way)."""
        intent = message.get(INTENT) or {}
        if (intent.get(INTENT_NAME_KEY) in REPORT_IF_SYMPTOM
                and describes_a_complaint(message.get(ENTITIES))
                and not any(e.get("entity") == "input_issue" for e in message.get(ENTITIES) or [])):
            report = {INTENT_NAME_KEY: SYMPTOM_INTENT,
                      PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY, 1.0)}
            ranking = [r for r in message.get(INTENT_RANKING) or []
                       if r.get(INTENT_NAME_KEY) != SYMPTOM_INTENT]
            message.set(INTENT, report, add_to_output=True)
            message.set(INTENT_RANKING, [report] + ranking, add_to_output=True)
