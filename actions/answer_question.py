"""The question a symptom report also asked, answered before the triage's questions.

"Is this just a pulled muscle? my lower back is killing me": the NLU reads a symptom report
that carries its question (entity `question`, the response that answers it:
bot.language.components.safety_net). validate_triage_form says the answer when the report
starts the check (then the introduction, then the form asks), and in the middle of the
questions: one call to the action server, not one more for the answer.
"""
from __future__ import annotations

import re

from typing import Optional

from rasa_sdk import Tracker

QUESTION_ENTITY = "question"
# Responses said through question_response that no rule names (checked against the domain by
# the tests): the one-line acknowledgement of a feeling told with a symptom (the safety net's
# FEELING_HEARD); the others are answers that rules also give.
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
