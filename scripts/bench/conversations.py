"""What the simulated users say: whole conversations, one turn at a time.

Ours: full triage conversations as people have them (see tests/integration/test_conversation.py
and tests/stories/): a symptom, then every question answered with a button payload or typed
text until a recommendation arrives; some red flags, a question mid-form. Each script names the
disposition it must end with, so the load run also checks that the bot still triages.

Stock: Rasa's demo "moodbot" (`rasa init`), its own multi-turn paths (data/stories.yml, rules).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

NO = "/deny"
CLEAR_SCREENS = (NO,) * 2  # the emergency signs, then the same-day signs, each in one question
MILDEST_ANSWERS = CLEAR_SCREENS + (
    '/inform{"severity":"mild"}', '/inform{"trend":"better"}',
    '/inform{"duration":"under_1_week"}', '/inform{"spread":"none"}',
    '/inform{"aggravator":"movement"}', '/inform{"age_band":"18_49"}')


@dataclass(frozen=True)
class Conversation:
    name: str
    turns: Tuple[str, ...]
    disposition: Optional[str] = None  # the recommendation the last turn must carry (ours)


OURS = (
    Conversation("buttons to self-care",
                 ("hello", "I tweaked my back on the leg press") + MILDEST_ANSWERS, "self_care"),
    Conversation("typed answers to see a doctor",
                 ("hi", "pins and needles in my foot since yesterday", "no", "nope",
                  "7 out of 10", "about the same", "down my left leg", "sitting at my desk",
                  "I'm 34"), "see_doctor"),
    Conversation("question mid-form, then buttons",
                 ("my back hurts after leg press", "no",
                  "how long does a back strain take to heal?") + MILDEST_ANSWERS[1:],
                 "self_care"),
    Conversation("red flag in the middle",
                 ("hey", "my back is sore after leg press", "no",
                  "wait, actually i have tingling in both legs now"), "emergency"),
    Conversation("emergency in the first message",
                 ("numbness in my groin since leg day",), "emergency"),
    Conversation("not sure twice escalates", ("my lower back hurts", "/not_sure", "/not_sure"),
                 "emergency"),
)

STOCK = (
    Conversation("happy path", ("hello", "I am great", "bye")),
    Conversation("sad path 1", ("hi", "I am sad", "yes", "goodbye")),
    Conversation("sad path 2", ("hey there", "I am very unhappy", "no")),
    Conversation("bot challenge", ("are you a bot?", "good morning", "perfect", "bye bye")),
)


def disposition_of(messages) -> Optional[str]:
    """The last disposition the bot attached to its messages (custom payload), if any."""
    found = [m["custom"]["disposition"] for m in messages or []
             if isinstance(m, dict) and "disposition" in (m.get("custom") or {})]
    return found[-1] if found else None


def mean_turns(conversations) -> float:
    return sum(len(c.turns) for c in conversations) / len(conversations)
