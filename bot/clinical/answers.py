"""Reading a person's free-text answer to one triage question.

Buttons send a canonical value; people type "about 2 weeks", "8/10", "nah" or "I'm 52". This
module turns either into one of the values `bot.clinical.triage` knows, or None when the answer does not
fit the question (the bot then asks again). Pure: strings and dicts in, a value out.

Where an answer is ambiguous the reading leans towards the safer value ("7/10" is severe,
"a while" is not taken as "under a week"), because a wrong low reading is the costly mistake.
"""
from __future__ import annotations

import difflib
import re
from typing import Iterable, Mapping, Optional

from bot.clinical import triage

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

    # A button (or any message) that carries the canonical value as an entity is taken,
    # unless the words also say something graver ("pretty bad, 8/10" is an 8, not "bad").
    from_entity = next((entity["value"] for entity in entities
                        if isinstance(entity.get("value"), str)
                        and entity["value"] in question.answers
                        and entity.get("entity") in (question_id, _ENTITY_FOR.get(question_id))),
                       None)
    if question.level_if_yes is not None:
        return from_entity or _yes_no(intent, text)
    value = _READERS[question_id](_mend_typos(text))
    if from_entity is not None:
        if question_id in _GRAVER_LATER and value in question.answers:
            return max(from_entity, value, key=question.answers.index)
        return from_entity
    if value is None and intent == "deny" and question_id in ("spread", "aggravators"):
        # "no" to "does it spread?" / "what makes it worse?" means none.
        return "none"
    return value


# Ways of saying "I don't know". Doubt is checked first and never counts as "no".
_DOUBT = re.compile(
    r"\b(not (?:\S+ ){0,2}sure|unsure|dunno|do(?:n'?t| not) (?:\w+ )?know|maybe|possibly|"
    r"perhaps|idk|no idea|no clue|not a clue|not (?:\w+ )?certain|uncertain|unclear|"
    r"might|could be|can'?t (?:say|tell|remember)|cannot (?:say|tell|remember)|hard to (?:say|tell)|"
    r"not that i know|no one (?:has )?checked)\b")
# A hedged answer with no explicit "no" ("a little", "kind of") is a yes to a screen.
_HEDGE = re.compile(r"\b(kind of|kinda|sort of|a bit|a little|slightly|sometimes|occasionally|"
                    r"on and off)\b")
_YES = {"yes", "yeah", "yep", "yup", "ya", "yea", "aye", "definitely", "afraid"}
_NO = {"no", "nope", "nah", "none", "never", "neither", "nothing", "negative"}


def _yes_no(intent: Optional[str], text: str) -> Optional[str]:
    # Doubt first, whatever the classifier says: "no idea" must never count as "no", and a
    # hedged yes ("a bit", "kind of") is a yes to a red-flag screen, which "unsure" also is.
    if _DOUBT.search(text):
        return triage.UNSURE
    words = set(re.findall(r"[a-z']+", text))
    said_yes, said_no = bool(words & _YES), bool(words & _NO)
    if said_yes and said_no:
        return triage.UNSURE  # "no... well yes a bit": both is not a no
    if intent in _YES_NO_INTENTS and not (intent == "deny" and said_yes) and not (
            intent == "affirm" and said_no):
        return _YES_NO_INTENTS[intent]
    if said_yes:
        return triage.YES
    if said_no:
        return triage.NO
    if _HEDGE.search(text):
        return triage.YES
    return None


def read_severity(text: str) -> Optional[str]:
    scores = [float(n) for n in re.findall(
        r"\b(10|[0-9](?:\.[0-9])?)\s*(?:/|out of|outta)\s*10\b", text)]
    if not scores:
        bare = re.fullmatch(r"(?:about |around |maybe |like |like a |probably |prob |i'?d say |"
                            r"it'?s a |about a |a solid |solid )?(10|[0-9](?:\.[0-9])?)"
                            r"(?:\s*ish)?[.!]?", text)
        scores = [float(bare.group(1))] if bare else []
    if scores:
        value = max(scores)  # "5/10, 8/10 at worst" is an 8
        return "severe" if value >= 7 else "moderate" if value >= 4 else "mild"
    if re.search(r"\bnot (?:that |too |very )?(?:severe|bad)\b", text):
        return "mild"
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
    if re.search(r"\b(not|no|isn'?t|hasn'?t|never)\b[a-z ]{0,12}\b(worse|worsening)\b", text):
        return "same"  # "not getting worse", "no better no worse"
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
    """Days since the start that a phrase such as "3 weeks", "since yesterday" states.

    When a message names several spans ("3 weeks ago, worse since yesterday"), the longest
    is the time since it started.
    """
    spans = []
    for match in re.finditer(
            r"\b(more than |over |at least |longer than |nearly |almost )?"
            r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
            r"twelve|fifteen|twenty|couple|few|several)\s*(?:of\s+)?(?:more\s+)?"
            r"(hours?|hrs?|days?|nights?|weeks?|wks?|fortnights?|months?|mos?|years?|yrs?)\b",
            text):
        more, raw, unit = match.groups()
        count = float(raw) if raw[0].isdigit() else _WORD_NUMBERS[raw]
        days = count * _UNIT_DAYS[unit.rstrip("s") if unit != "mos" else "mo"]
        spans.append(days + (1 if more and more.strip() in ("more than", "over", "at least",
                                                            "longer than") else 0))
    if re.search(r"\b(last month|since last month)\b", text):
        spans.append(30)
    if re.search(r"\b(last week|since last week)\b", text):
        spans.append(7)
    if re.search(r"\b(today|this morning|tonight|last night|yesterday|an hour|"
                 r"few hours|since (?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\b", text):
        spans.append(1)
    return max(spans) if spans else None


def read_spread(text: str) -> Optional[str]:
    legs_fine = re.search(r"\b(legs|feet) (?:are|feel|seem)\s+(?:\w+ )?(fine|ok|okay|alright|"
                          r"normal|good)\b", text)
    if re.search(r"\bboth\b|\beach leg\b|\bboth sides\b", text) or (
            re.search(r"\b(legs|feet)\b", text) and not legs_fine) or (
            re.search(r"\bleft\b", text) and re.search(r"\bright\b", text)):
        return "both_legs"  # before any "no": "nope, but my feet are numb" is both legs
    if _DOUBT.search(text) and not re.search(r"\b(leg|thigh|calf|foot|knee|sciatica)\b", text):
        return None  # ask again rather than guess "nowhere"
    if re.search(r"\b(left|right|one)\b.*\b(leg|thigh|calf|foot|side|buttock|bum|hip)", text) or \
            re.search(r"\bsciatica\b", text):
        return "one_leg"
    if re.search(r"\b(leg|thigh|calf|shin|foot|toes?|ankle|knee|hamstring)\b", text):
        return "one_leg"
    if re.search(r"\b(no|nope|nah|none|nowhere|just my back|only my back|only in my back|stays|"
                 r"doesn'?t|does not|not|fine)\b", text):
        return "none"
    if re.search(r"\b(just|only)\b.*\bback\b|\bback (?:only|just)\b|\bbutt|\bbum\b|\bglute",
                 text):
        return "none"
    return None


def read_aggravators(text: str) -> Optional[str]:
    if re.search(r"\b(nothing (?:helps|eases)|doesn'?t ease|does not ease|won'?t ease|"
                 r"even (?:when|at|with) rest|even resting|all the time|constant|wakes? me)",
                 text):
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


_AGE_WORDS = {"eighteen": 18, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
              "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def read_age_band(text: str) -> Optional[str]:
    if re.search(r"\b(under 18|teen|teenager|minor|in school)\b", text):
        return "under_18"
    if re.search(r"\b(over 70|70\+|seventies|eighties|nineties|pensioner|[7-9]0s)\b", text):
        return "70_plus"
    if re.search(r"\b(over 50|over 60|fifties|sixties|50\+|[56]0s)\b", text):
        return "50_69"
    if re.search(r"\b(twenties|thirties|forties|[234]0s)\b", text):
        return "18_49"
    # A number said as an age wins ("trained for 10 years, I'm 72"); numbers of days, weeks
    # or years of something else are not ages.
    stated = re.search(r"\b(?:i'?m|i am|aged?|age is)\s+(\d{1,3})\b", text)
    numbers = [int(stated.group(1))] if stated else [
        int(n) for n in re.findall(
            r"\b(\d{1,3})\b(?!\s*(?:/|x|times|days?|weeks?|months?|years? of|yrs? of|"
            r"kg|lbs?|reps?|sets?|hours?|mins?))", text)]
    if not numbers:
        word = re.search(r"\b(eighteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b",
                         text)
        numbers = [_AGE_WORDS[word.group(1)]] if word else []
    for age in numbers:
        if 5 <= age <= 120:
            if age < 18:
                return "under_18"
            if age < 50:
                return "18_49"
            if age < 70:
                return "50_69"
            return "70_plus"
    return None


# Questions whose answers run from mild to grave: of two readings, the graver one stands.
_GRAVER_LATER = {"severity", "trend", "duration", "spread"}

# Words the readers look for, so that a typo in one ("getting beter", "sittng") still
# reads. Only words of five letters or more are mended, and only to a close match.
_ANSWER_WORDS = (
    "better worse worsening improving easing settling same change unchanged stable steady "
    "severe moderate mild slight excruciating unbearable terrible horrible awful extreme "
    "agony killing really pretty quite fairly manageable niggle minor "
    "hours days weeks months years yesterday today morning night nights fortnight couple "
    "several since about around "
    "nowhere stays only just back legs thigh calf foot knee sciatica buttock hamstring "
    "left right both "
    "bending lifting moving twisting walking standing sitting seated driving coughing "
    "sneezing laughing straining resting lying nothing constant exercise training squat "
    "teenager pensioner twenties thirties forties fifties sixties seventies eighties").split()


def _mend_typos(text: str) -> str:
    def mend(match: re.Match) -> str:
        word = match.group(0)
        if len(word) < 5 or word in _ANSWER_WORDS:
            return word
        close = difflib.get_close_matches(word, _ANSWER_WORDS, n=1, cutoff=0.85)
        return close[0] if close else word
    return re.sub(r"[a-z]+", mend, text)


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
