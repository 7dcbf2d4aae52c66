"""Messages that are empty, wordless or not in English go to the fallback, with the reason.

A classifier always picks some intent, even for "hola me duele la espalda" or a row of
emoji; a confident wrong intent is how a bot gives a wrong medical answer. This component
sends such messages to `nlu_fallback` and adds an `input_issue` entity saying why, so the
reply can be specific. It runs before the red-flag safety net, which still wins.
"""
from typing import List

import bot.language  # noqa: F401
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.lang.en.stop_words import STOP_WORDS

from bot.clinical.input_checks import input_issue
from bot.language.components.stateless import StatelessComponent

FALLBACK_INTENT = "nlu_fallback"
ISSUE_ENTITY = "input_issue"


def english_test(nlp):
    """A test of whether a word is English: lemma tables, stop words, the patterns' words."""
    normalizer = nlp.get_pipe("triage_normalizer")
    extra = set(STOP_WORDS) | set(normalizer.surface_to_key)

    def is_english(word: str) -> bool:
        return (word in extra or normalizer.is_known_word(word)
                or normalizer.is_known_word(word.rstrip("s")))
    return is_english


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False, model_from="SpacyNLP"
)
class InputGuard(StatelessComponent):
    def __init__(self) -> None:
        self._is_english = None


    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        if self._is_english is None:
            self._is_english = english_test(model.model)
        for message in messages:
            issue = input_issue(message.get(TEXT), self._is_english)
            if issue is None:
                continue
            fallback = {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            ranking = [r for r in message.get("intent_ranking") or []
                       if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
            message.set("intent_ranking", [fallback] + ranking, add_to_output=True)
            entity = {"entity": ISSUE_ENTITY, "value": issue, "start": 0,
                      "end": len(message.get(TEXT) or ""), "extractor": "InputGuard"}
            message.set(ENTITIES, (message.get(ENTITIES) or []) + [entity], add_to_output=True)
        return messages
