"""Entities from the project's spaCy pipeline, with their context, as Rasa entities.

Rasa's own SpacyEntityExtractor drops what we need most: the canonical id of a pattern
("saddle_numbness" for "can't feel the toilet paper") and whether the mention is the writer's
current sign. A mention that is not keeps its span and gets a role (`negated`, `other_person`,
`historical`, `hypothetical`: bot.language.context), so slot mappings and the triage never count
it, while tests and staff can still see that it was read.

The learned detector (bot.language.screens) adds two kinds of entity, over the clause it read:
- `red_flag` with a `<screen>_described` value when it is confident (`likely`) and the patterns
  found no current flag of that screen: the flag counts;
- `screen_hint` with the screen's question id when it is unsure (role `possible`), and for an
  emergency flag the patterns found about someone else, the past or a "what if" (the mention's
  role): the triage asks that screen first instead of guessing.
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
from bot.clinical import triage
from bot.language import context, screens
from bot.language.components.stateless import StatelessComponent

NEGATED_ROLE = context.NEGATED
NOT_CURRENT_ROLES = context.NOT_CURRENT
POSSIBLE_ROLE = screens.POSSIBLE
RED_FLAG = "red_flag"
SCREEN_HINT = "screen_hint"
# The least sure reading that is passed on as a hint: below it nothing acts on a reading (the
# safety net starts a check and the triage asks a screen first only from 0.5 up).
HINT_FROM = 0.5
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
        role = ent._.context_role
        if role:
            entity["role"] = role
        entities.append(entity)
    return entities + detector_entities(doc, entities)


def detector_entities(doc, pattern_entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Flags and hints from the learned detector, and hints from flags that are not current."""
    current = {triage.SCREEN_OF_FLAG.get(e["value"]) for e in pattern_entities
               if e["entity"] == RED_FLAG and not e.get("role")}
    # A sign the patterns read and ConText discounted ("no, not both legs") is not overruled
    # by the classifier, which reads no negation well: at most it is asked first.
    discounted = {triage.SCREEN_OF_FLAG.get(e["value"]) for e in pattern_entities
                  if e["entity"] == RED_FLAG and e.get("role")}
    found, hinted = [], set()
    for screen, reading in sorted((doc._.screens or {}).items()):
        if screen in current:
            continue
        span = {"start": reading["start"], "end": reading["end"],
                "confidence_entity": reading["p"]}
        if reading["level"] == screens.LIKELY and screen not in discounted:
            found.append({"entity": RED_FLAG, "value": triage.DESCRIBED_FLAG_OF_SCREEN[screen],
                          **span})
        elif reading["p"] >= HINT_FROM:
            found.append({"entity": SCREEN_HINT, "value": screen, "role": POSSIBLE_ROLE, **span})
        else:
            continue  # too weak to act on: no entity (and no call to the action server)
        hinted.add(screen)
    for entity in pattern_entities:
        screen = triage.SCREEN_OF_FLAG.get(entity["value"])
        role = entity.get("role")
        if (entity["entity"] == RED_FLAG and screen and role and role != NEGATED_ROLE
                and screen not in current and screen not in hinted):
            found.append({"entity": SCREEN_HINT, "value": screen, "role": role,
                          "start": entity["start"], "end": entity["end"],
                          "confidence_entity": 1.0})
            hinted.add(screen)
    return found


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
