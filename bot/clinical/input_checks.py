"""What is wrong with a message that cannot be answered on its content.

Pure: given the text and a test of whether a word is English, say whether the message is
empty, has no words at all (emoji, symbols), or is most likely in another language. The bot
then says so plainly instead of guessing at a medical answer.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

EMPTY = "empty"
NO_WORDS = "no_words"
OTHER_LANGUAGE = "other_language"

# Below this share of known English words (with at least MIN_WORDS words), a message is taken
# to be in another language. Typo-ridden English stays well above it ("my bak hurts aftr leg
# dya" has half its words known); Spanish, German or French sentences fall far below.
ENGLISH_SHARE = 0.3
MIN_WORDS = 3
# Chat words no dictionary lists, but every English chat has.
CHAT_WORDS = {"bye", "byee", "thx", "ty", "tysm", "lol", "lmao", "ok", "okay", "pls", "plz",
              "hi", "hey", "heya", "hiya", "yeah", "yep", "yup", "nah", "nope", "cheers", "ta",
              "hmm", "idk", "dunno", "u", "ur", "im", "dont", "cant", "wont", "didnt", "doesnt",
              "isnt", "ive", "thanks", "gonna", "wanna", "gotta", "kinda", "sorta", "tho",
              "btw", "omg", "pt", "physio", "gp", "doc", "legpress", "quads", "glutes"}


def input_issue(text: Optional[str], is_english: Callable[[str], bool]) -> Optional[str]:
    text = text or ""
    if not text.strip():
        return EMPTY
    if not re.search(r"\w", text):
        return NO_WORDS
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) >= MIN_WORDS:
        known = sum(1 for word in words if word in CHAT_WORDS or is_english(word))
        if known / len(words) < ENGLISH_SHARE:
            return OTHER_LANGUAGE
    return None
