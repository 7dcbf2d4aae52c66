"""The deterministic red-flag safety net.

Emergency detection must not depend on a classifier's mood: whenever the patterns found a red
flag that is not negated, the intent becomes `report_red_flag` with full confidence, whatever
the classifier (or the low-confidence fallback) said. The dialogue then routes every such
message into the triage, which jumps to the flag's level.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_nlu.entities import NEGATED_ROLE

RED_FLAG_INTENT = "report_red_flag"
RED_FLAG_ENTITY = "red_flag"
INTENT_RANKING = "intent_ranking"


def has_red_flag(entities: List[Dict[Text, Any]]) -> bool:
    return any(e.get("entity") == RED_FLAG_ENTITY and e.get("role") != NEGATED_ROLE
               for e in entities or [])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagSafetyNet(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not has_red_flag(message.get(ENTITIES)):
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
