"""The check-in days after the advice (issue 16): reading the answer to "How is your back
now?" from the person's own words, and what each answer leads to.

The answer is read here, by rules, not by the intent classifier: the question has three
answers and people give them in their own words ("loads better thanks", "much the same tbh",
"honestly no change", "worse, and now my foot's gone numb"). A reading that is not clear is
None, and the question is asked again with its buttons: an answer is never guessed.

- The change itself comes from the triage's own trend reader (`answers.read_trend`: negation,
  "no better" is the same, "not as bad" is better), with the phrases people use about how
  they are now rather than how the pain is going: "still sore" is the same, "the pain's
  gone" and "fine now" are better, "sorer" is worse.
- Worse wins over anything else in the message ("better in the mornings but worse at night"):
  the triage runs again, the careful reading. Better wins over "still sore" ("a bit better
  but still sore" is better: the person says it is improving).
- A red flag is not read here: the spaCy pipeline (patterns, ConText, the learned detector)
  reads every message, and a current red flag always runs the triage again (`next_step`).

Standard library only, like the rest of the clinical core.
"""
from __future__ import annotations

import re
from typing import Optional

from bot.clinical import answers

BETTER, SAME, WORSE = "better", "same", "worse"
# Not a reading of the words: a current red flag in the answer (from the NLU's entities).
RED_FLAG = "red_flag"
ANSWERS = (BETTER, SAME, WORSE, RED_FLAG)

# "About the same" this long after the advice is the triage's "not improving" rule (clinical
# notes: see a GP or physio when it is no better after 2 to 3 weeks of care at home).
SAME_MEANS_NOT_IMPROVING_AFTER_DAYS = 14

# What each answer leads to.
RETURN_TO_TRAINING = "return_to_training"   # better: how to go back to the leg press
CARE_AT_HOME = "care_at_home"               # the same, early: self-care and the safety net
NOT_IMPROVING = "not_improving"             # the same, two weeks on: see a doctor
TRIAGE_AGAIN = "triage_again"               # worse, or a red flag: the questions again

_STILL = r"(?:still|yet)"
_SAME_NOW = re.compile(
    rf"\b{_STILL} (?:(?:a bit |quite |really |very |pretty |fairly |so )?"
    r"(?:sore|stiff|painful|aching|achy|tender|tight|bad|there|niggling|the same)|"
    r"hurts?|hurting|aches|aching|giving me (?:grief|gyp|trouble))\b|"
    r"\bnothing(?:'?s| has| have)? (?:really )?changed\b|"
    r"\b(?:not|no|hardly|barely) (?:much )?(?:of a |any )?(?:different|difference)\b|"
    r"\bsame as (?:before|it was|last time|when we (?:last )?(?:talked|spoke))\b|"
    r"\b(?:meh|so-so|so so)\b")
_BETTER_NOW = re.compile(
    r"\b(?:pain|ache|soreness|it)(?:'?s| is| has)?(?: (?:pretty much|mostly|almost|nearly|all|"
    r"completely|totally))? (?:gone|disappeared)\b|"
    r"\bgone away\b|\bpain[- ]free\b|\bno (?:more )?pain (?:now|anymore|any more|at all)\b|"
    r"\b(?:fine|good|great|ok|okay|grand|sorted|healed|recovered|normal)"
    r"(?: again)? now\b|\ball (?:good|fine|better|sorted|healed)\b|\bback to normal\b|"
    r"\b(?:fully |completely )?(?:healed|recovered)\b|\bmuch easier\b")
_WORSE_NOW = re.compile(r"\bsorer\b|\bmore (?:sore|stiff|painful|pain)\b|\bflared? up\b|"
                        r"\bflaring( up)?\b|\bhurts? (?:even )?more\b")
_NEGATED_BEFORE = re.compile(r"\b(?:not|never|no|isn'?t|hasn'?t|wasn'?t|don'?t|doesn'?t)"
                             r"(?: \w+)?\s*$")


def _found(pattern: re.Pattern, text: str) -> bool:
    """A match of `pattern` that no "not"/"never" just before it turns round."""
    for match in pattern.finditer(text):
        clause = re.split(r"[.,;!?]|\bbut\b", text[:match.start()])[-1]
        if not _NEGATED_BEFORE.search(clause):
            return True
    return False


def read_answer(text: str) -> Optional[str]:
    """better, same or worse, as the person's words say; None when they do not say clearly."""
    plain = answers.normalize_text(text).lower()
    if not plain or plain.startswith("/"):
        return None
    trend = answers.read_trend(plain)
    worse = trend == WORSE or _found(_WORSE_NOW, plain)
    better = trend == BETTER or _found(_BETTER_NOW, plain)
    same = trend == SAME or _found(_SAME_NOW, plain)
    if worse:
        return WORSE
    if better:
        return BETTER
    if same:
        return SAME
    return None


def next_step(answer: str, days_since: Optional[int]) -> Optional[str]:
    """What an answer leads to, `days_since` days after the advice (None: not known).

    Worse and a red flag always run the triage again, whatever else is known; the triage
    never gives a lower level than before (bot.clinical.triage). Better and the same need the
    days since the advice (the check-in that was asked); without them there is no step.
    """
    if answer in (WORSE, RED_FLAG):
        return TRIAGE_AGAIN
    if days_since is None:
        return None
    if answer == BETTER:
        return RETURN_TO_TRAINING
    if answer == SAME:
        return NOT_IMPROVING if days_since >= SAME_MEANS_NOT_IMPROVING_AFTER_DAYS \
            else CARE_AT_HOME
    return None
