"""Answer the question a symptom report also asked, before the triage starts.

"Is this just a pulled muscle? my lower back is killing me": the NLU reads a symptom report
that carries its question (entity `question`, the response that answers it:
bot.language.components.safety_net). The answer comes first, then the triage questions.
"""
from __future__ import annotations

import re

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

QUESTION_ENTITY = "question"
# Responses this module sends that no rule names (checked against the domain by the tests):
# the one-line acknowledgement of a feeling told with a symptom (the safety net's
# FEELING_HEARD); the others it sends are answers that rules also give.
RESPONSES = ("utter_feeling_heard",)


def question_response(tracker: Tracker) -> Optional[str]:
    """The response that answers the latest message's question (the Rasa server sends no
    domain to actions, endpoints.yml: an unknown name is simply not uttered by Rasa)."""
    for entity in tracker.latest_message.get("entities") or []:
        name = entity.get("value")
        if (entity.get("entity") == QUESTION_ENTITY and isinstance(name, str)
                and re.fullmatch(r"utter_[a-z_]+(/[a-z0-9_]+)?", name)):
            return name
    return None


class ActionAnswerQuestion(Action):
    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        response = question_response(tracker)
        if response:
            dispatcher.utter_message(response=response)
        return []
