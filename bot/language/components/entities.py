"""Entities from the project's spaCy pipeline, with their negation, as Rasa entities.

Rasa's own SpacyEntityExtractor drops what we need most: the canonical id of a pattern
("saddle_numbness" for "can't feel the toilet paper") and whether the mention was negated. A
negated mention keeps its span and gets the role `negated`, so slot mappings and the triage
never count it, while tests can still see that it was read.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text, Type

import bot.language  # noqa: F401  (registers our spaCy components before SpacyNLP loads them)
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from bot.language.components.stateless import StatelessComponent

NEGATED_ROLE = "negated"
# Entities whose value is the text itself (the triage reads it), not a pattern id.
TEXT_VALUED = {"duration", "severity"}


def entities_from_doc(doc) -> List[Dict[Text, Any]]:
    entities = []
    for ent in doc.ents:
        entity = {
            "entity": ent.label_,
            "value": ent.text if ent.label_ in TEXT_VALUED or not ent.ent_id_ else ent.ent_id_,
            "start": ent.start_char,
            "end": ent.end_char,
            "confidence_entity": 1.0,
        }
        if ent._.negated:
            entity["role"] = NEGATED_ROLE
        entities.append(entity)
    return entities


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class TriageEntityExtractor(StatelessComponent, EntityExtractorMixin):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [SpacyNLP]


    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            doc = message.get(SPACY_DOCS[TEXT])
            # SpacyNLP has already run the pipeline (on lowercased text, which our patterns
            # do not mind); run it again only if lowercasing moved the character offsets.
            if doc is None or len(doc.text) != len(text):
                doc = model.model(text)
            found = self.add_extractor_name(entities_from_doc(doc))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
