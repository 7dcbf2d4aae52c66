"""Reading a person's free-text answer to one triage question.

Buttons send a canonical value; people type "about 2 weeks", "8/10", "nah" or "I'm 52". This
module turns either into one of the values `bot.triage` knows, or None when the answer does not
fit the question (the bot then asks again). Pure: strings and dicts in, a value out.

Where an answer is ambiguous the reading leans towards the safer value ("7/10" is severe,
"a while" is not taken as "under a week"), because a wrong low reading is the costly mistake.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping, Optional

from bot import triage

# Intents that answer a yes/no question.
_YES_NO_INTENTS = {"affirm": triage.YES, "deny": triage.NO, "not_sure": triage.UNSURE}

_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "couple": 2, "few": 3, "several": 4, "fifteen": 15, "twenty": 20,
}
_UNIT_DAYS = {"hour": 1 / 24, "hr": 1 / 24, "day": 1, "night": 1, "week": 7, "wk": 7,
              "fortnight": 14, "month": 30, "mo": 30, "year": 365, "yr": 365}


def interpret(
    question_id: str,
    intent: Optional[str],
    entities: Iterable[Mapping] = (),
    text: str = "",
) -> Optional[str]:
    """The answer to `question_id` that this message gives, or None."""
    question = triage.QUESTION_BY_ID.get(question_id)
    if question is None:
        return None
    text = (text or "").strip().lower()
    entities = [e for e in entities if e.get("role") != "negated"]

    # A button (or any message) that carries the canonical value as an entity wins.
    for entity in entities:
        value = entity.get("value")
        if isinstance(value, str) and value in question.answers and entity.get("entity") in (
            question_id, _ENTITY_FOR.get(question_id)
        ):
            return value

    if question.level_if_yes is not None:
        return _yes_no(intent, text)
    reader = _READERS[question_id]
    value = reader(text)
    if value is None and intent == "deny" and question_id in ("spread", "aggravators"):
        # "no" to "does it spread?" / "what makes it worse?" means none.
        return "none"
    return value


def _yes_no(intent: Optional[str], text: str) -> Optional[str]:
    # Doubt first, whatever the classifier says: "no idea" must never count as "no".
    if re.search(r"\b(not sure|unsure|dunno|don'?t know|maybe|possibly|idk|no idea|"
                 r"not certain|can'?t tell|hard to say)\b", text):
        return triage.UNSURE
    if intent in _YES_NO_INTENTS:
        return _YES_NO_INTENTS[intent]
    words = re.findall(r"[a-z']+", text)
    yes = {"yes", "yeah", "yep", "yup", "ya", "yea", "aye", "definitely", "afraid so"}
    no = {"no", "nope", "nah", "none", "never", "neither", "nothing", "negative"}
    # The first yes or no word decides ("ok no fever", "well yes a bit").
    for word in words:
        if word in yes:
            return triage.YES
        if word in no:
            return triage.NO
    return None


def read_severity(text: str) -> Optional[str]:
    score = re.search(r"\b(10|[0-9])\s*(?:/|out of|outta)\s*10\b", text)
    if score is None:
        score = re.fullmatch(r"(?:about |around |maybe |like |like a |probably |prob )?"
                             r"(10|[0-9])(?:\s*ish)?[.!]?", text)
    if score:
        value = int(score.group(1))
        return "severe" if value >= 7 else "moderate" if value >= 4 else "mild"
    if re.search(r"\b(severe|excruciating|unbearable|agony|agonis|agoniz|worst|killing|"
                 r"can'?t (?:move|walk|stand|get up|sleep|work)|really bad|very bad|"
                 r"extreme|terrible|horrible|awful)", text):
        return "severe"
    if re.search(r"\b(moderate|pretty bad|quite bad|medium|fairly bad|bad|middling|"
                 r"manageable but|sore)\b", text):
        return "moderate"
    if re.search(r"\b(mild|slight|a bit|a little|not too bad|not that bad|niggle|minor|"
                 r"light|ok|okay|fine)\b", text):
        return "mild"
    return None


def read_trend(text: str) -> Optional[str]:
    if re.search(r"\b(worse|worsening|getting bad|spreading|more painful)\b", text):
        return "worse"
    if re.search(r"\b(not|isn'?t|hasn'?t|no)\b[a-z ]{0,12}\b(better|improving|easing)\b", text):
        return "same"  # "not getting better": not improving
    if re.search(r"\b(better|improving|easing|eased|settling|less painful|going away)\b", text):
        return "better"
    if re.search(r"\b(same|no change|not changing|unchanged|stable|no different|"
                 r"not really changing|steady)\b", text):
        return "same"
    return None


def read_duration(text: str) -> Optional[str]:
    days = duration_days(text)
    if days is None:
        return None
    if days < 7:
        return "under_1_week"
    if days < 14:
        return "1_2_weeks"
    if days <= 42:
        return "2_6_weeks"
    return "over_6_weeks"


def duration_days(text: str) -> Optional[float]:
    """Days since the start that a phrase such as "3 weeks", "since yesterday" states."""
    if re.search(r"\b(today|this morning|tonight|last night|yesterday|an hour|"
                 r"few hours|since (?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\b", text):
        return 1
    if re.search(r"\b(last week|since last week)\b", text):
        return 7
    if re.search(r"\b(last month|since last month)\b", text):
        return 30
    match = re.search(
        r"\b(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
        r"twelve|fifteen|twenty|couple|few|several)\s*(?:of\s+)?(?:more\s+)?"
        r"(hours?|hrs?|days?|nights?|weeks?|wks?|fortnights?|months?|mos?|years?|yrs?)\b",
        text,
    )
    if match is None:
        return None
    raw, unit = match.groups()
    count = float(raw) if raw[0].isdigit() else _WORD_NUMBERS[raw]
    return count * _UNIT_DAYS[unit.rstrip("s") if unit not in ("mos",) else "mo"]


def read_spread(text: str) -> Optional[str]:
    if re.search(r"\bboth\b|\beach leg\b|\bboth sides\b", text):
        return "both_legs"
    if re.search(r"\b(left|right|one)\b.*\b(leg|thigh|calf|foot|side|buttock|bum|hip)", text) or \
            re.search(r"\bsciatica\b", text):
        return "one_leg"
    if re.search(r"\b(no|nope|nah|none|nowhere|just my back|only my back|only in my back|stays|"
                 r"doesn'?t|does not|not|fine)\b", text):
        return "none"
    if re.search(r"\b(legs|feet)\b", text):
        return "both_legs"
    if re.search(r"\b(leg|thigh|calf|shin|foot|toes?|ankle|knee|hamstring)\b", text):
        return "one_leg"
    if re.search(r"\b(just|only)\b.*\bback\b|\bbutt|\bbum\b|\bglute", text):
        return "none"
    return None


def read_aggravators(text: str) -> Optional[str]:
    if re.search(r"\b(nothing helps|doesn'?t ease|does not ease|won'?t ease|even (?:when|at|with) "
                 r"rest|even resting|all the time|constant)", text):
        return "rest_night"
    if re.search(r"\b(at night|night|resting|lying|in bed)\b", text) and not re.search(
            r"\b(better|eases|easier|helps)\b", text):
        return "rest_night"
    if re.search(r"\b(cough|sneez|laugh|strain)", text):
        return "cough_sneeze"
    if re.search(r"\b(sit|sitting|seated|driving|desk|chair)", text):
        return "sitting"
    if re.search(r"\b(bend|lift|mov|twist|walk|stand|exercis|train|gym|turn|reach|stairs|run|"
                 r"jog|squat|press|carry|hoover|vacuum)", text):
        return "movement"
    if re.search(r"\b(nothing|no|none|not really|nope|nah)\b", text):
        return "none"
    return None


def read_age_band(text: str) -> Optional[str]:
    if re.search(r"\b(under 18|teen|teenager|minor|in school)\b", text):
        return "under_18"
    if re.search(r"\b(over 70|70\+|seventies|eighties|nineties|pensioner)\b", text):
        return "70_plus"
    if re.search(r"\b(over 50|over 60|fifties|sixties|50\+)\b", text):
        return "50_69"
    if re.search(r"\b(twenties|thirties|forties|20s|30s|40s)\b", text):
        return "18_49"
    match = re.search(r"\b(\d{1,3})\b", text)
    if match:
        age = int(match.group(1))
        if age < 5 or age > 120:
            return None
        if age < 18:
            return "under_18"
        if age < 50:
            return "18_49"
        if age < 70:
            return "50_69"
        return "70_plus"
    return None


_READERS = {
    "severity": read_severity,
    "trend": read_trend,
    "duration": read_duration,
    "spread": read_spread,
    "aggravators": read_aggravators,
    "age_band": read_age_band,
}

# The entity a button sends for a question, where its name differs from the question id.
_ENTITY_FOR = {"aggravators": "aggravator"}
