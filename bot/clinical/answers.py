"""Reading a person's free-text answer to one triage question, and details said outright.

Buttons send a canonical value; people type "about 2 weeks", "8/10", "nah" or "I'm 52". This
module turns either into one of the values `bot.clinical.triage` knows, or None when the answer does not
fit the question (the bot then asks again). Pure: strings and dicts in, a value out.

Where an answer is ambiguous the reading leans towards the safer value ("7/10" is severe,
"a while" is not taken as "under a week"), because a wrong low reading is the costly mistake.
Context counts as in the ConText algorithm the clinical notes cite: a negated mention ("it
doesn't go down my legs") is not a mention, doubt ("no idea") is never a "no", and a sign that
eases ("fine when I'm lying down") is not the sign that does not ease.

Three public entry points:
- `normalize_text`: what a phone keyboard types (curly quotes, odd dashes and spaces,
  zero-width characters) made plain, before anything reads it;
- `interpret`: the answer a message gives to the question being asked;
- `extract_details`: the answers a free-text message states outright, outside any question.
  It is conservative on purpose: a wrong fill skips a question, a missed one costs a turn.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from bot.clinical import triage

# ---------------------------------------------------------------------------- normalisation

_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9\u02bb\u0060\u00b4\u2039\u203a"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u02dd"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d\u2e3a\u2e3b"
_PLAIN = str.maketrans({**{c: "'" for c in _SINGLE_QUOTES},
                        **{c: '"' for c in _DOUBLE_QUOTES},
                        **{c: "-" for c in _DASHES}})
# Format characters that show as nothing: zero-width space, joiners, word joiner, byte-order
# mark, soft hyphen, direction marks, invisible operators.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060-\u2064\ufeff\u00ad\u180e]")


def normalize_text(text) -> str:
    """`text` as plain text: Unicode NFKC, ASCII quotes and dashes, single plain spaces.

    Curly single and double quotes and primes become ' and ", the dashes and minus signs
    become -, non-breaking and other odd spaces become a space, zero-width characters go, and
    runs of whitespace collapse to one space (stripped at both ends). The case is kept.
    """
    if not text:
        return ""
    text = str(text).translate(_PLAIN)       # first: NFKC would split an acute accent in two
    text = unicodedata.normalize("NFKC", text).translate(_PLAIN)
    text = _INVISIBLE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------- interpret

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
    text = normalize_text(text).lower()
    # A negated mention never counts ("no tingling in both legs" is not both legs).
    # Nor does one about someone else, the past or a "what if" (bot.clinical.triage).
    entities = [e for e in entities or () if e.get("role") not in triage.NOT_CURRENT_ROLES]

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
    if question_id == "spread" and value != "both_legs" and any(
            e.get("entity") == "red_flag" and e.get("value") == "both_legs" and not e.get("role")
            for e in entities):
        value = "both_legs"  # the safety net found a current both-legs sign in these words
    if from_entity is not None:
        if question_id in _GRAVER_LATER and value in question.answers:
            return max(from_entity, value, key=question.answers.index)
        return from_entity
    if value is None and intent == "deny" and question_id in ("spread", "aggravators") \
            and not _DOUBT.search(text) and not _NOT_ONLY.search(text) \
            and not _LEAVES_BACK.search(text) \
            and not set(re.findall(r"[a-z']+", text)) & _YES:
        # "no" to "does it spread?" / "what makes it worse?" means none; "no idea" does not.
        return "none"
    return value


def says_not_sure(intent: Optional[str], text: str) -> bool:
    """The message says the person does not know: the "Not sure" button, "idk", "no idea",
    "hard to say" (for a question its words did not answer)."""
    return intent == "not_sure" or bool(_DOUBT.search(normalize_text(text).lower()))


# A question about the question or a word in it ("what is the saddle area?", "what's the
# difference between moderate and severe?", "why do you need my age?", "wdym numb"). Such a
# message is never an answer, even when it names one of the answers.
_ASKS_ABOUT = re.compile(
    r"\b(?:what(?:'s| is| are| does| do| counts?| exactly| kind| sort| type)|whats|wat(?:'s| is)|"
    r"wdym|what do (?:you|u|ya) mean|what (?:you|u) mean|meaning of|means what|"
    r"why (?:do|are|would|is|does|did|d'you|you|u) ?(?:you|u|ya|it|that|this)?\s*"
    r"(?:need|ask|want|asking|matter|care|important)|"
    r"difference between|how do i know|how would i know|how can i tell|how do i tell|"
    r"(?:don'?t|do not|dont|didn'?t) (?:understand|get|know what) (?:the|that|this|what|you|ur|your)|"
    r"define|as in)\b")
_QUESTION_STARTS = ("what", "whats", "wat", "why", "how", "wdym", "which", "is", "does", "do",
                    "define", "sorry", "huh", "um", "erm", "eh", "wait", "i")


def asks_about_the_question(text: str) -> bool:
    """True for a one-sentence question about the question being asked or a word in it."""
    text = normalize_text(text).lower()
    if not _ASKS_ABOUT.search(text) or re.search(r"[.!?]\s+\S", text.rstrip("?!. ")):
        return False
    words = re.findall(r"[a-z']+", text)
    return text.rstrip().endswith("?") or bool(words) and words[0] in _QUESTION_STARTS


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
# "Not just my back": more than the back, never "only the back".
_NOT_ONLY = re.compile(r"\b(?:not|\w+n't|no longer)\s+(?:just|only)\b")
# "Doesn't stay in my back" says it leaves the back: never "only the back".
_LEAVES_BACK = re.compile(r"\b(?:doesn'?t|does not|don'?t|do not|not|never|won'?t)\s+"
                          r"(?:just\s+|only\s+)?stay(?:s|ing)?\s+(?:in|on)\s+(?:my\s+|the\s+)?"
                          r"(?:lower\s+)?back\b")


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


# ---------------------------------------------------------------------------- words and clauses

# Negation cues (NegEx style). "Can't" is not one: "can't feel my legs", "can't sleep" and
# "can't sit" state a symptom. It only negates what would ease ("can't get comfy").
_NEGATORS = {"no", "not", "never", "nothing", "without", "nor", "neither", "none", "hardly",
             "barely", "nope", "nah", "dont", "doesnt", "didnt", "isnt", "wasnt", "wont",
             "arent", "hasnt", "havent", "aint", "wouldnt", "werent", "hadnt", "shouldnt"}
_INABILITY = {"can't", "cant", "cannot", "couldn't", "couldnt", "unable"}
_CLAUSE_PUNCT = {".", ",", ";", ":", "!", "?", "-", "=", "(", ")"}
_CLAUSE_WORDS = {"but", "however", "although", "though", "except", "whereas", "apart",
                 "besides", "otherwise", "instead", "because", "cos", "coz", "cause"}
# After a lone "no", these start a new clause: "no it goes down my leg" is not a negated leg.
_CLAUSE_STARTERS = {"i", "i'm", "im", "it", "it's", "its", "my", "the", "there", "there's",
                    "that", "this", "both", "one", "left", "right", "down", "into", "goes",
                    "just", "only", "actually", "well", "mostly", "mainly", "all"}


def _is_negator(token: str) -> bool:
    return token in _NEGATORS or (token.endswith("n't") and token not in _INABILITY)


def _tokens(text: str) -> List[str]:
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)   # leg-press, 30-year-old, left-hand
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?=()/-]", text)


def _clauses(tokens: Sequence[str], starters: Set[str] = frozenset()) \
        -> List[Tuple[List[str], str]]:
    """The clauses of a message: (tokens, the punctuation that ended it or "")."""
    clauses: List[Tuple[List[str], str]] = []
    current: List[str] = []
    for token in tokens:
        if token in _CLAUSE_PUNCT:
            clauses.append((current, token))
            current = []
        elif (token in _CLAUSE_WORDS or token in starters) and current:
            clauses.append((current, ""))
            current = [token]
        else:
            current.append(token)
    clauses.append((current, ""))
    return [(words, end) for words, end in clauses if words or end in ("?", ":", "-", "=")]


def _negated_at(words: Sequence[str], index: int, window: int,
                stop: Set[str] = frozenset()) -> bool:
    """True when a negation cue comes up to `window` words before words[index]."""
    for i in range(index - 1, max(-1, index - window - 1), -1):
        if words[i] in stop:
            return False
        if _is_negator(words[i]):
            lone = words[i] in ("no", "nope", "nah") and i + 1 < len(words) and \
                words[i + 1] in _CLAUSE_STARTERS
            return not lone
    return False


# ---------------------------------------------------------------------------- severity

_SCORE_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11}
_NUM = r"\d{1,2}(?:\.\d)?|" + "|".join(_SCORE_WORDS)
_SCORE = re.compile(rf"(?<![\w.])({_NUM})\s*(?:/|out of|outta|oot of|out off|of)\s*(?:10|ten)\b"
                    r"(?!\s*(?:reps?|sets?|times|days?|weeks?))")
_SCALE = re.compile(r"\b(?:on\s+)?(?:an?\s+|the\s+)?(?:pain\s+)?scale(?:\s+(?:of|from))?\s*"
                    r"(?:0|1|one|zero)\s*(?:to|-)\s*(?:10|ten)\b|"
                    r"\b(?:0|1)\s*(?:to|-)\s*10\s+scale\b")
_NEGATED_BEFORE = re.compile(r"\b(?:not|isn'?t|wasn'?t|never|no|nowhere near)\s+(?:even\s+)?"
                             r"(?:like\s+)?(?:an?\s+)?$")
# What follows a number that is not a score: units of weight, count, time, size and dates.
_NOT_A_SCORE_AFTER = re.compile(
    r"\s*(?:%|percent|x\b|\*|kgs?\b|kilos?\b|lbs?\b|pounds?\b|stone\b|st\b|plates?\b|reps?\b|"
    r"sets?\b|times\b|days?\b|d\b|weeks?\b|wks?\b|w\b|months?\b|mos?\b|years?\b|yrs?\b|y\b|"
    r"yo\b|y/o|hours?\b|hrs?\b|h\b|minutes?\b|mins?\b|m\b|seconds?\b|secs?\b|s\b|am\b|pm\b|"
    r"o'?clock\b|th\b|nd\b|rd\b|ft\b|feet\b|foot\b|inch|cm\b|mg\b|ml\b|miles?\b|km\b|k\b|'|\"|"
    r":\d|/\s*\d|\.\d)")
_NOT_A_SCORE_BEFORE = re.compile(
    r"(?:\b(?:for|since|x|aged?|of|every|last|past|next|after|before|lifted|pressed|did|than|"
    r"in|by|on day)|[x*])\s*$")


def _scores(text: str) -> List[float]:
    """Pain scores out of 10 that the text states ("7/10", "eight out of ten"), not negated."""
    found = []
    for match in _SCORE.finditer(text):
        if _NEGATED_BEFORE.search(text[:match.start()]):
            continue
        raw = match.group(1)
        found.append(float(raw) if raw[0].isdigit() else float(_SCORE_WORDS[raw]))
    return found


def _bare_scores(text: str) -> List[float]:
    """Numbers said as a score to "how bad is it?" ("like a 4 tbh", "prob a 7", "6ish")."""
    text = _SCALE.sub(" ", text)
    found = []
    for match in re.finditer(rf"(?<![\w.'/-])({_NUM})(?:\s*-?ish)?", text):
        raw, before, after = match.group(1), text[:match.start()], text[match.end():]
        if raw in ("one",) and not re.search(r"\b(?:a|an|like)\s+$", before) and text != raw:
            continue
        if raw in ("eleven",) or _NOT_A_SCORE_AFTER.match(after) or \
                _NOT_A_SCORE_BEFORE.search(before) or _NEGATED_BEFORE.search(before):
            continue
        value = float(raw) if raw[0].isdigit() else float(_SCORE_WORDS[raw])
        if value <= 10:
            found.append(value)
    return found


def _band(score: float) -> str:
    return "severe" if score >= 7 else "moderate" if score >= 4 else "mild"


def read_severity(text: str) -> Optional[str]:
    scores = _scores(text) or _bare_scores(text)
    if scores:
        return _band(max(scores))  # "5/10, 8/10 at worst" is an 8
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


# ---------------------------------------------------------------------------- trend

_WORSE_IDIOM = re.compile(
    r"\bnever (?:been|felt|hurt|was|had it)(?: this| so| as| any)? (?:worse|bad)\b|"
    r"\b(?:couldn'?t|could not|can'?t|cannot) (?:be|get|feel|hurt)(?: any)? (?:worse|more)\b|"
    r"\bworse than ever\b|\bworst (?:it'?s|it has|it'?s ever|it has ever) (?:ever )?been\b|"
    r"\b(?:going|gone|went|heading|goin) downhill\b|\bdownhill\b|\bworse and worse\b|"
    r"\bworse by the day\b|\b(?:getting|got|gotten) out of hand\b")
_BETTER_IDIOM = re.compile(
    r"\b(?:couldn'?t|could not) (?:be|feel) better\b|\bnever (?:been |felt )?better\b|"
    r"\b(?:nowhere near|not nearly) as (?:bad|sore|painful)\b|"
    r"\bnot (?:as|so) (?:bad|sore|painful|intense|sharp|severe)\b|"
    r"\bnot (?:that|too) (?:bad|sore|painful) (?:now|anymore|any more)\b|"
    r"\bno longer (?:as |so )?(?:bad|sore|painful|hurts|hurting|severe)\b|"
    r"\b(?:doesn'?t|does not|isn'?t|is not) hurt(?:ing)? (?:as|so) (?:much|bad)\b|"
    r"\bless (?:pain|painful|sore|intense|severe)\b|\bhurts less\b|\bon the mend\b|"
    r"\beasing off\b|\bsettling down\b|\bcalming down\b|\bgetting there\b|\bon the way out\b|"
    r"\b(?:healing|recovering|subsiding|fading|wearing off|clearing up|loosening up)\b")
# In free text, "not as bad" must say "than before": "not as bad as I thought" is no trend.
_BETTER_IDIOM_STRICT_AS = re.compile(
    r"\bnot (?:as|so) (?:bad|sore|painful|intense|sharp|severe)\b(?!\s+(?:now|anymore|any more|"
    r"these days|today|as (?:before|it was|yesterday|last week|earlier|at first|this morning|"
    r"when it started|the first day)))")
_WORSE_WORD = re.compile(r"\b(?:worse|worsening|worsened|worsen|deteriorat\w*|more painful|"
                         r"more sore|hurts more|getting bad|spreading|intensifying|escalating)\b")
_BETTER_WORD = re.compile(r"\b(?:better|improving|improved|improve|improvement|easing|eased|"
                          r"eases|settling|settled|going away|less painful|recovering)\b")
_SAME_WORD = re.compile(r"\b(?:same|no (?:real )?change|unchanged|stable|no different|steady|"
                        r"(?:not|hasn'?t|haven'?t|isn'?t)\s+(?:really\s+|much\s+)?"
                        r"(?:changed|changing)|plateau\w*|static)\b")
_SAME_STRICT = re.compile(r"\b(?:(?:about|roughly|pretty much|much|more or less|still|stayed|"
                          r"staying|stays|remained|remains|just|exactly|hurts|it's|its|feels) "
                          r"the same|no change|unchanged|hasn'?t changed|not changed|no different|"
                          r"no (?:real )?improvement|not (?:really )?(?:shifting|budging|"
                          r"improving|going away|getting any better)|stuck at the same|"
                          r"never (?:fully )?goes|won'?t go away|isn'?t going away|"
                          r"not (?:moving|going|heading) in the right direction)\b")
# A clause that tells how it is now, after a story of how it went: "the first week was bad,
# then it settled a bit, and since then it's been stuck at the same level" is the same now.
_NOW_MARKER = re.compile(r"^(?:and\s+|but\s+|so\s+)?(?:since then|now|these days|lately|"
                         r"at the moment|currently|right now|today|this week|the last few days|"
                         r"for the (?:last|past) (?:few|couple of|\w+) (?:days|weeks))\b")
# A question that takes for granted how it is going: "should it be getting worse after 5
# days?" tells that it is getting worse; "should I worry if it gets worse?" does not.
_PRESUPPOSED_WORSE = re.compile(
    r"^(?:should|is it (?:normal|ok|okay|usual)(?: for)?|why (?:is|does|do|has)|why's|"
    r"how come)\s+(?:it|my back|the pain|this)(?:'s|\s+is)?\s+(?:still\s+|keep\s+|be\s+|to\s+)*"
    r"(?:be\s+)?(?:getting|gotten|got|get|keeps getting|going) worse\b")
# "Worse when I sit" is what makes it worse, not how it is going.
_CONDITIONAL_AFTER = re.compile(r"\s*(?:when|whenever|if|while|after|during|with|at|in|on|"
                                r"lying|laying|sitting|standing|bending|walking|from|i\b|doing|"
                                r"for|once|first thing)\b")
_TREND_WORSE, _TREND_BETTER, _TREND_SAME, _TREND_NOT_WORSE = "W", "B", "S", "s"


_MAKES_IT = re.compile(r"\b(?:makes?|making|made)\s+(?:it|the pain|my back)\s+(?:\w+\s+)?$")


def _trend_marks(text: str, strict: bool) -> List[str]:
    """Each trend that `text` states: worse, better, same, or "not worse" (a weak same)."""
    marks = []
    idioms = [(m, _TREND_WORSE) for m in _WORSE_IDIOM.finditer(text)] + \
             [(m, _TREND_BETTER) for m in _BETTER_IDIOM.finditer(text)]
    for match, mark in idioms:
        if strict and (_CONDITIONAL_AFTER.match(text[match.end():]) or
                       _BETTER_IDIOM_STRICT_AS.match(text, match.start())):
            continue
        marks.append(mark)
    rest = text
    for match, _ in idioms:  # an idiom is read once, as a whole
        rest = rest[:match.start()] + " " * (match.end() - match.start()) + rest[match.end():]
    for pattern, mark, negated_mark in ((_WORSE_WORD, _TREND_WORSE, _TREND_NOT_WORSE),
                                        (_BETTER_WORD, _TREND_BETTER, _TREND_SAME)):
        for match in pattern.finditer(rest):
            if strict and (_CONDITIONAL_AFTER.match(rest[match.end():]) or
                           match.group() == "spreading" or
                           _MAKES_IT.search(rest[:match.start()])):
                # "worse when I sit", "sitting makes it worse": what makes it worse, not the
                # trend; "spreading down my leg" is where, not how
                continue
            clause = re.split(r"[.,;!?]|\bbut\b", rest[:match.start()])[-1]
            words = clause.split()[-4:]
            negated = any(_is_negator(w) or w in _INABILITY for w in words)
            if negated and strict and negated_mark == _TREND_NOT_WORSE:
                continue  # "not worse" may be the same or better: free text does not say
            marks.append(negated_mark if negated else mark)
    same = _SAME_STRICT if strict else _SAME_WORD
    marks.extend(_TREND_SAME for _ in same.finditer(rest))
    return marks


def _trend_from_marks(marks: Sequence[str]) -> Optional[str]:
    if _TREND_WORSE in marks:
        return "worse"
    if _TREND_BETTER in marks:
        return "same" if _TREND_SAME in marks else "better"
    if _TREND_SAME in marks or _TREND_NOT_WORSE in marks:
        return "same"  # "not getting better", "no better no worse"
    return None


def read_trend(text: str) -> Optional[str]:
    return _trend_from_marks(_trend_marks(text, strict=False))


# ---------------------------------------------------------------------------- duration

_DURATION = re.compile(
    r"\b(more than |over |at least |longer than |nearly |almost )?"
    r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|fifteen|twenty|couple|few|several)(\s+and\s+a\s+half)?\s*(?:of\s+)?(?:more\s+)?"
    r"(hours?|hrs?|days?|nights?|weeks?|wks?|fortnights?|months?|mos?|years?|yrs?)\b")
# How often, not how long: "3 days a week", "twice a month", "every other day".
_FREQUENCY = re.compile(
    r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|once|twice|thrice|few|couple of)\s*"
    r"(?:times?|x|days?|sessions?|nights?|hours?|hrs?|mins?|minutes?)?\s*(?:a|an|per|every|each|/)"
    r"\s*(?:day|week|wk|month|year|session)\b|"
    r"\b(?:every|each|per)\s+(?:other\s+|single\s+)?(?:\d+\s+|few\s+|couple of\s+)?"
    r"(?:days?|weeks?|months?|nights?|mornings?|sessions?)\b|\b(?:daily|weekly|monthly)\b")
_SINCE_WORDS = [
    (re.compile(r"\b(?:since )?last month\b"), 30),
    (re.compile(r"\b(?:since )?last week\b"), 7),
    (re.compile(r"\b(?:today|this morning|tonight|last night|yesterday|an hour|few hours|"
                r"since (?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\b"), 1),
    # "hurt it on Saturday": a weekday names a day of the last week
    (re.compile(r"\bon (?:mon|tues|wednes|thurs|fri|satur|sun)day\b"), 1),
]


def _blank(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(lambda m: " " * (m.end() - m.start()), text)


def _duration_spans(text: str) -> List[Tuple[int, int, float]]:
    """(start, end, days) of every span of time the text names; frequencies are not spans."""
    text = _blank(text, _FREQUENCY)
    spans = []
    for match in _DURATION.finditer(text):
        more, raw, half, unit = match.groups()
        count = (float(raw) if raw[0].isdigit() else _WORD_NUMBERS[raw]) + (0.5 if half else 0)
        days = count * _UNIT_DAYS[unit.rstrip("s") if unit != "mos" else "mo"]
        days += 1 if more and more.strip() in ("more than", "over", "at least",
                                               "longer than") else 0
        spans.append((match.start(), match.end(), days))
    for pattern, days in _SINCE_WORDS:
        for match in pattern.finditer(text):
            if not any(start <= match.start() < end for start, end, _ in spans):
                spans.append((match.start(), match.end(), days))
    return sorted(spans)


def read_duration(text: str) -> Optional[str]:
    days = duration_days(text)
    return None if days is None else _duration_band(days)


def _duration_band(days: float) -> str:
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
    is the time since it started. How often something happens ("3 times a week") is no span.
    """
    spans = _duration_spans(text)
    return max(days for _, _, days in spans) if spans else None


# ---------------------------------------------------------------------------- spread

_LEG_ONE = {"leg", "thigh", "calf", "shin", "foot", "toe", "toes", "ankle", "knee", "hamstring",
            "sciatica", "sciatic"}
_LEG_MANY = {"legs", "feet", "thighs", "calves", "shins", "ankles", "knees", "hamstrings"}
_NOT_A_SIDE_BEFORE = {"all", "that's", "thats", "it's", "its", "you're", "youre", "is", "be",
                      "alright", "turn", "turned"}
_NOT_A_SIDE_AFTER = {"now", "away", "down", "through", "up", "there", "here", "after", "before",
                     "into", "across", "in", "at", "to", "from", "by", "off", "as", "then",
                     "angle", "thing", "round", "around", "the", "along", "over", "under",
                     "below", "behind"}
_FINE = {"fine", "ok", "okay", "alright", "normal", "good", "unaffected", "grand"}
# Words that end a negation's reach in a spread answer: "no numbness and pain in both legs"
# may be a denial of both, but over-triage is preferred to a miss.
_SPREAD_SCOPE_END = {"and", "it", "it's", "its", "i", "i'm", "im"}
_TOWARDS = {"down", "to", "into", "through", "towards", "till", "until"}
_ONLY_NEGATION = {"no", "nope", "nah", "not", "really", "neither", "none", "never", "nothing",
                  "negative", "at", "all", "way"}
# The exercise is no leg: "after leg press", "did legs yesterday".
_EXERCISE = re.compile(
    r"\blegs?[\s-]*(?:press(?:es|ing)?|day|days|session|workout|extensions?|curls?|raises?|"
    r"machine|sled|training|exercises?|work)\b|\blegpress\w*|"
    r"\b(?:did|do|doing|train|trained|training|hit|hitting|smashed|worked|working)\s+"
    r"(?:my\s+)?legs\b")
_SPREAD_REWRITES = (
    (_EXERCISE, " exercise "),
    (re.compile(r"\bpins\s+(?:and|n|&)\s+needles\b"), " pins "),
    (_LEAVES_BACK, " plus "),
    (_DOUBT, " unsure "),
    (_NOT_ONLY, " plus "),
    # A lost sense or power is a symptom, not a denial: "can't feel my legs".
    (re.compile(r"\b(?:can'?t|cannot|couldn'?t|unable to)\s+(?:really\s+|properly\s+)?"
                r"(?:feel|move|lift|bend|straighten)\b|\bno (?:feeling|sensation|strength|power)\b|"
                r"\blost (?:the )?(?:feeling|sensation)\b"), " numb "),
    (re.compile(r"\b(?:doesn'?t|won'?t|never|not)\s+(?:stop|stops|go away|goes away)\b"),
     " persistent "),
    # "Doesn't go below the knee": the pain reaches the leg, down to a limit.
    (re.compile(r"\b(?:doesn'?t|does not|don'?t|do not|not|never|isn'?t|won'?t)\s+"
                r"((?:\w+\s+){0,2}(?:below|past|beyond|further than|lower than|under)\b)"), r" \1"),
)
_SPREAD_NONE = re.compile(
    r"\b(?:nowhere|none|nope|nah|no|neither|not really|stays?|staying|stayed|localised|localized|"
    r"doesn'?t|does not|don'?t|do not|not|fine|back|bum|butt|buttocks?|glutes?)\b")


def _back_before_leg(words: Sequence[str]) -> bool:
    """True when these words name the back before any leg ("both sides of my lower back")."""
    first = next((w for w in words if w in _LEG_ONE or w in _LEG_MANY or w == "back"), "")
    return first == "back"


def _spread_mentions(words: Sequence[str]) -> List[Tuple[str, int]]:
    """(kind, index) of each mention of a leg or side: both, one, left, right, leg."""
    found = []
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        after = words[i + 1:i + 5]
        if word == "both":
            if _back_before_leg(words[i + 1:i + 7]) is False:
                found.append(("both", i))
        elif word in ("each", "either") and any(w in _LEG_ONE | _LEG_MANY for w in after[:2]):
            found.append(("both" if word == "each" else "leg", i))
        elif word in ("bilateral", "bilaterally"):
            found.append(("both", i))
        elif word in ("unilateral", "unilaterally"):
            found.append(("one", i))
        elif word in _LEG_MANY:
            one_of = " ".join(words[max(0, i - 3):i])
            if re.search(r"\b(?:one|either) of\b", one_of):
                found.append(("one", i))
            elif word in ("knees", "ankles") and not set(words[max(0, i - 4):i]) & _TOWARDS:
                # Sore knees after a leg press are the knees; pain that goes down to them is not.
                found.append(("leg", i))
            else:
                found.append(("both", i))
        elif word in _LEG_ONE:
            found.append(("leg", i))
        elif word in ("left", "right"):
            nxt = after[0] if after else ""
            if before not in _NOT_A_SIDE_BEFORE and nxt not in _NOT_A_SIDE_AFTER and \
                    not _back_before_leg(after):  # "the left side of my back" is the back
                found.append((word, i))
        elif word == "one":
            nxt = after[0] if after else ""
            if nxt in _LEG_ONE or nxt in ("side", "sided") or (
                    before in ("the", "just", "only") and nxt in ("", "leg", "side", "only")):
                found.append(("one", i))
    return found


# Words of the emergency list other than the legs: a "yes" that names one of them is a yes.
_OTHER_EMERGENCY_TOPICS = re.compile(
    r"\b(?:groin|crotch|bum|bottom|backside|butt|buttocks?|cheeks?|genital\w*|private|bits|"
    r"down there|saddle|inner thighs?|penis|vagina|erection\w*|sex|wipe|wiping|toilet|loo|pee\w*|"
    r"wee\w*|urin\w*|bladder|bowel\w*|poo\w*|stool|soil\w*|accident|fell|fall|fallen|crash\w*|"
    r"dropped|chest|belly|stomach|tummy|abdomen|pulsing|throbbing|sweat\w*|faint\w*|dizzy)\b")


def yes_for_one_leg_only(text: str, entities: Iterable[Mapping] = ()) -> bool:
    """A "yes" to the emergency signs that names only one leg ("yes my left leg is numb"):
    numbness, tingling or pain down one leg is not one of them (both legs are), so the list is
    asked once more with that said, not taken as an emergency. Anything else in it (another
    sign of the list, a red flag the NLU found, both legs) keeps it a yes; so does any reading
    of the learned detector except an unsure one of the legs screen, which the words "my left
    leg" settle."""
    text = normalize_text(text or "").lower()
    for entity in entities or ():
        unsure_of_legs = (entity.get("entity") == "screen_hint" and entity.get("value") == "em_legs"
                          and entity.get("role") == "possible")
        if entity.get("entity") in ("red_flag", "screen_hint") and not unsure_of_legs:
            return False
    return read_spread(text) == "one_leg" and not _OTHER_EMERGENCY_TOPICS.search(text)


def read_spread(text: str) -> Optional[str]:
    for pattern, replacement in _SPREAD_REWRITES:
        text = pattern.sub(replacement, text)
    clauses = _clauses(_tokens(text), starters={"just", "only", "mainly", "mostly"})
    current: List[str] = []
    negated_any = False
    for n, (words, end) in enumerate(clauses):
        # "Both legs? No": a bare no after a question mark or colon denies what came before.
        denied = end in ("?", ":", "-", "=") and n + 1 < len(clauses) and clauses[n + 1][0] and \
            all(w in _ONLY_NEGATION for w in clauses[n + 1][0])
        for kind, i in _spread_mentions(words):
            fine_after = any(w in _FINE for w in words[i + 1:i + 4])
            if denied or fine_after or _negated_at(words, i, 7, stop=_SPREAD_SCOPE_END):
                negated_any = True
            else:
                current.append(kind)
    kinds = set(current)
    if kinds & {"both"} or {"left", "right"} <= kinds:
        return "both_legs"  # before any "no": "nope, but my feet are numb" is both legs
    if kinds & {"one", "left", "right", "leg"}:
        return "one_leg"
    words = set(_tokens(text))
    if "unsure" in words or "plus" in words:
        return None  # ask again rather than guess "nowhere"
    if negated_any or _SPREAD_NONE.search(text):
        return "none"
    return None


# ---------------------------------------------------------------------------- aggravators

_REST = {"rest", "resting", "rested", "lie", "lying", "laying", "lay", "lies", "bed", "night",
         "nights", "nighttime", "overnight", "sleep", "sleeping", "asleep", "sleeps", "wake",
         "wakes", "waking", "woke", "woken", "nightpain", "sleepfine"}
_SIT = {"sit", "sits", "sitting", "sat", "seated", "seating", "drive", "drives", "driving",
        "drove", "desk", "desks", "chair", "chairs", "sofa", "couch", "car", "commute",
        "commuting"}
_MOVE = ("bend", "bent", "lift", "mov", "twist", "walk", "stand", "stood", "exercis", "train",
         "gym", "turn", "reach", "stair", "run", "jog", "squat", "press", "carry", "carri",
         "hoover", "vacuum", "stretch", "pick", "lean", "climb", "stoop", "getup", "deadlift",
         "workout",
         "hik", "cycl", "bik", "sport", "swim", "tying", "shoe", "sock", "hoist", "push", "jump",
         "kneel", "crouch", "step", "dress")
_COUGH = ("cough", "sneez", "laugh", "straining")
_RELIEF = {"better", "easier", "ease", "eases", "eased", "easing", "help", "helps", "helped",
           "helping", "relieves", "relieved", "relief", "relieve", "fine", "ok", "okay",
           "alright", "good", "comfortable", "comfy", "settles", "settle", "settled", "settling",
           "calmer", "improves", "improved", "soothes", "soothing", "nicer", "painless", "away",
           "disappears", "vanishes", "stops", "stopped", "less", "gone", "sleepfine"}
_WORSE = {"worse", "worst", "hurts", "hurt", "hurting", "pain", "painful", "aches", "ache",
          "aching", "achy", "sore", "agony", "kills", "killing", "bad", "throbs", "throbbing",
          "flares", "flare", "aggravates", "aggravate", "triggers", "trigger", "bothers",
          "bother", "unbearable", "twinge", "twinges", "sharp", "stabbing", "spasm", "spasms",
          "stiff", "stiffer", "uncomfortable", "awful", "terrible", "horrible", "worsens",
          "tight", "tighter", "agonising", "agonizing", "murder", "nightmare"}
_AGGRAVATOR_REWRITES = (
    (_DOUBT, " unsure "),
    (re.compile(r"\b(?:last night|tonight|the other night|one night|\w+day night|night before|"
                r"nights? out|good night|rest of|rest days?|rest between|rest periods?)\b"),
     " time "),
    (re.compile(r"\b(?:get|gets|getting|got)\s+(?:out of|up from|up out of|in and out of|into)\s+"
                r"(?:my\s+|the\s+)?bed\b|\bget(?:ting)? up\b"), " getup "),
    (re.compile(r"\b(?:roll|rolls|rolling|rolled|turn|turns|turning)\s+over(?:\s+in\s+bed)?\b"),
     " turning "),
    (re.compile(r"\bpain[\s-]?free\b"), " painless "),
    (re.compile(r"\b(?:not|barely|hardly|can'?t|cannot|unable to|trouble|struggl\w*(?: to)?|"
                r"hard to|difficult to|no)\s+(?:get(?:ting)?\s+(?:to\s+)?|any\s+|much\s+)?"
                r"(?:sleep|sleeping|slept)\b|\bkeeps? me (?:up|awake)\b|\bkept me (?:up|awake)\b|"
                r"\bup all night\b|\bawake at night\b|\bstops? me (?:from )?sleeping\b"),
     " nightpain "),
    (re.compile(r"\b(?:can |i )?(?:sleep|sleeping|slept)\s+(?:is\s+|are\s+)?(?:fine|ok|okay|well|"
                r"alright|through|good)\b"), " sleepfine "),
    (re.compile(r"\b(?:not|isn'?t|never|is not|wasn'?t)\s+(?:really\s+)?(?:constant|all the time|"
                r"always|24/7|non ?stop)\b"), " notpersistent "),
    (re.compile(r"\b(?:constant|constantly|all the time|24/7|always hurts|always there|"
                r"non ?stop|(?:doesn'?t|won'?t|never)\s+(?:stop|stops|go away|goes away|ease|"
                r"eases|let up|lets up|settle)|no matter what|whatever i do|doesn'?t matter what|"
                r"(?:no|any) position|can'?t get (?:comfortable|comfy)|nothing (?:\w+ ){0,2}"
                r"(?:helps?|eases?|works?|makes it better|stops it|relieves?))\b"), " persistent "),
    (re.compile(r"\bstops? me\b"), " hurts me "),
    (re.compile(r"\bstrain(?:s|ed)?\s+(?:on|when|at|to|on the)\b|\bbear(?:ing)? down\b|"
                r"\bblow(?:ing)? my nose\b"), " straining "),
)


def _trigger(word: str) -> Optional[str]:
    if word in _REST:
        return "rest_night"
    if word.startswith(_COUGH):
        return "cough_sneeze"
    if word in _SIT:
        return "sitting"
    if word.startswith(_MOVE):
        return "movement"
    return None


def read_aggravators(text: str) -> Optional[str]:
    for pattern, replacement in _AGGRAVATOR_REWRITES:
        text = pattern.sub(replacement, text)
    words_all = _tokens(text)
    positive: Set[str] = set()
    relieved: Set[str] = set()
    negated = False
    previous_relief = False
    for words, _ in _clauses(words_all):
        # Each polarity word: +1 makes it worse, -1 eases it ("doesn't help" makes it worse).
        polarity = {}
        for i, word in enumerate(words):
            if word in _RELIEF or word in _WORSE:
                sign = -1 if word in _RELIEF else 1
                if any(_is_negator(w) or w in _INABILITY for w in words[max(0, i - 4):i]):
                    sign = -sign
                polarity[i] = sign
        clause_relief = False
        for i, word in enumerate(words):
            if word == "persistent":
                positive.add("rest_night")
                continue
            kind = _trigger(word)
            if kind is None:
                continue
            between = [j for j in polarity if j < i]
            cue = next((j for j in range(i - 1, max(-1, i - 4), -1) if _is_negator(words[j])),
                       None)
            if word != "nightpain" and cue is not None and not any(cue < j for j in between) and \
                    not (previous_relief and words[0] == "not"):
                negated = True  # "not at night", "doesn't wake me"
                continue
            if word == "sleepfine":
                relieved.add(kind)
                clause_relief = True
                continue
            if not polarity and word != "nightpain" and \
                    any(_is_negator(w) for w in words[i + 1:i + 4]):
                # "Coughing doesn't do anything": not what makes it worse. "Resting doesn't
                # make a difference": rest does not ease it, which is the night-pain sign.
                if kind == "rest_night":
                    positive.add(kind)
                else:
                    negated = True
                continue
            if not polarity or word == "nightpain":
                positive.add(kind)  # a bare trigger answers "what makes it worse?"
                continue
            nearest = min(polarity, key=lambda j: (abs(j - i), j > i))
            if polarity[nearest] > 0:
                positive.add(kind)
            else:
                relieved.add(kind)
                clause_relief = True
        previous_relief = clause_relief
    for kind in ("rest_night", "cough_sneeze", "sitting", "movement"):
        if kind in positive:
            return kind
    if "rest_night" in relieved:
        return "movement"  # eases with rest or lying down: mechanical pain
    if "unsure" in words_all:
        return None
    if negated or re.search(r"\b(nothing|no|none|not really|nope|nah|not much|notpersistent)\b",
                            text):
        return "none"
    return None


# ---------------------------------------------------------------------------- age

_AGE_WORDS = {"eighteen": 18, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
              "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def read_age_band(text: str) -> Optional[str]:
    stated = _ages(text)  # "34M", "I'm 6ft": the forms free text is read by, first
    if len(stated) == 1:
        return stated.pop()
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
    not_an_age = r"(?!\s*(?:'|\"|%|ft\b|feet|cm\b|kg|lbs?|stone|st\b))"
    stated = re.search(rf"\b(?:i'?m|i am|aged?|age is)\s+(\d{{1,3}})\b{not_an_age}", text)
    numbers = [int(stated.group(1))] if stated else [
        int(n) for n in re.findall(
            r"\b(\d{1,3})\b(?!\s*(?:/|x|times|days?|weeks?|months?|years? of|yrs? of|"
            rf"kg|lbs?|reps?|sets?|hours?|mins?)){not_an_age}", text)]
    if not numbers:
        word = re.search(r"\b(eighteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b",
                         text)
        numbers = [_AGE_WORDS[word.group(1)]] if word else []
    for age in numbers:
        if 5 <= age <= 120:
            return _age_band(age)
    return None


def _age_band(age: int) -> str:
    if age < 18:
        return "under_18"
    if age < 50:
        return "18_49"
    if age < 70:
        return "50_69"
    return "70_plus"


# ---------------------------------------------------------------------------- extract_details

_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}
_TEENS = {"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
          "eighteen": 18, "nineteen": 19}
_AGE_NUM = (r"(\d{1,3}|(?:" + "|".join(_TENS) + r")(?:[ -](?:" + "|".join(_UNITS) + r"))?|"
            + "|".join(_TEENS) + r")")
_NOT_AN_AGE_AFTER = re.compile(
    r"\s*(?:%|percent|kgs?\b|kilos?\b|lbs?\b|pounds?\b|stone\b|st\b|ft\b|feet\b|foot\b|inch|"
    r"cm\b|mg\b|ml\b|'|\"|x\b|reps?\b|sets?\b|times\b|days?\b|weeks?\b|wks?\b|months?\b|"
    r"mins?\b|minutes?\b|hours?\b|hrs?\b|miles?\b|km\b|k\b|/\s*10|out of|sure|certain|"
    r"years?(?! old)\b|yrs?(?! old)\b|\.\d)")
_AGE_PATTERNS = (
    re.compile(rf"\b(?:i'?m|im|i am)\s+(?:only\s+|just\s+|nearly\s+|almost\s+|about\s+|"
               rf"around\s+|like\s+|now\s+)?{_AGE_NUM}\b"),
    re.compile(rf"\b{_AGE_NUM}\s*(?:yo|yrs? old|years? old|year old|yr old)\b"),
    re.compile(rf"\b(?:aged|age is|age|my age is)\s*:?\s*{_AGE_NUM}\b"),
    re.compile(r"(?:^|[,;(]\s*)(\d{2})\s?[mf]\b(?=\s*(?:$|[,.;)!/]|here\b|and\b|with\b|who\b|"
               r"lower\b|back\b|hurt|did\b|been\b))"),
    re.compile(r"(?:^|[,;(]\s*)[mf]\s?(\d{2})\b"),
    re.compile(r"\b(?:i'?m|im|i am)\s+(\d{2})\s?[mf]\b"),
    re.compile(r"\b(\d{2})\s*(?:male|female|man|woman|guy|bloke|lady|dude|m/f)\b"),
    re.compile(r"(?:^|[,;(]\s*)(?:male|female)\s*,?\s*(?:aged\s*)?(\d{2})\b"),
    re.compile(r"\bjust turned\s+(\d{2})\b"),
    # "52 and new to the gym", "16" (a clause of its own: "16, hurt my back"), "At 55 I..."
    # ("at 80" elsewhere is as often a weight: "leg press at 80")
    re.compile(r"^(\d{2})\s*(?:and\b|&|$)"),
    re.compile(r"^at\s+(?:the\s+age\s+of\s+)?(\d{2})\b(?=\s*(?:$|[,.!]|i\b|i'))"),
    re.compile(r"\bat\s+the\s+age\s+of\s+(\d{2})\b"),
    # "I go to the gym at 81", "still lifting at 72" (not "leg press at 80": a weight)
    re.compile(r"\b(?:gym|training|lifting|still going|still at it)\s+at\s+(\d{2})\b"
               r"(?!\s*(?:kg|kilos?|lbs?|pounds|%|reps|pm|am|o'?clock|:))"),
)
# Patterns whose words after the number are part of them ("a woman of 56 years", "78 years
# young"): no check for a unit after the number.
_AGE_PATTERNS_WITH_UNIT = (
    re.compile(r"\b(?:a|an)\s+(?:woman|man|lady|guy|bloke|gentleman)\s+of\s+(\d{2})\b"),
    re.compile(r"\b(\d{2})\s+(?:years?|yrs?)\s+(?:young|of age)\b"),
)
# A UK school year is an age too: years 7 to 13 are 11 to 18 ("year 11 and i did leg press").
_SCHOOL_YEAR = re.compile(r"\b(?:year|yr)\s*(7|8|9|10|11|12)\b(?!\s*(?:old|\d))")
_DECADES = {"teens": "under_18", "twenties": "18_49", "thirties": "18_49", "forties": "18_49",
            "fifties": "50_69", "sixties": "50_69", "seventies": "70_plus",
            "eighties": "70_plus", "nineties": "70_plus"}
_DECADE = re.compile(r"\bin (?:my|his|her) (?:early |mid |late |mid-)?(teens|twenties|thirties|"
                     r"forties|fifties|sixties|seventies|eighties|nineties|([2-9])0'?s)\b|"
                     r"\b(?:early|mid|late)[ -]?([2-9])0'?s\b")
# Someone else's details are not the person's: "my mate is 45", "my 15 year old son".
_OTHER_PERSON = re.compile(
    r"\b(?:my|our|his|her)\s+(?:\S+\s+){0,3}(?:son|daughter|mum|mom|mother|dad|father|wife|"
    r"husband|partner|mate|friend|pal|buddy|bro|brother|sister|sis|kid|kids|child|grandad|"
    r"grandpa|grandma|gran|granny|nan|boyfriend|girlfriend|bf|gf|uncle|aunt|auntie|client|"
    r"colleague|coach|neighbou?r|missus|hubby|fianc\w*)\b|"
    r"\b(?:he'?s|she'?s|he is|she is|they'?re|he has|she has|he had|she had)\b")
# A question, a fear or a condition is not a statement of the person's details.
_HYPOTHETICAL = re.compile(r"\b(?:what if|if|in case|worried|worry|worrying|scared|could it|"
                           r"would it|will it|should i|should it|is it normal|can it|hope|"
                           r"hoping|want it|how long|how do i|expect)\b")
_UNKNOWN = re.compile(r"\b(?:not (?:\w+ )?sure|unsure|dunno|don'?t (?:\w+ )?know|idk|no idea|"
                      r"no clue|can'?t (?:remember|say|tell)|cannot (?:remember|say|tell)|"
                      r"hard to (?:say|tell)|not certain)\b")
_PAST = re.compile(r"\b(?:used to|last year|years? ago|back in \d{4}|when i was (?:younger|a kid|"
                   r"\d+)|in the past|previous(?:ly)?|once had)\b|"
                   r"\b(?:i'?ve|i have|i'?d|i had) had\b.*\bbefore\b")
_PAIN_WORDS = {"pain", "pains", "ache", "aches", "aching", "achy", "discomfort", "soreness",
               "sore", "hurt", "hurts", "hurting", "twinge", "spasm", "spasms", "cramp",
               "cramps", "sciatica", "throbbing", "stabbing"}
_SEVERITY_WORD = re.compile(r"\b(mild|mildly|moderate|moderately|severe|severely|excruciating|"
                            r"unbearable)\b")
_SEVERITY_SAID = re.compile(r"\b(?:it'?s|it is|its|pain is|pain'?s|is|feels|feel|pretty|quite|"
                            r"really|very|so|fairly|rather|just)\s+(?:\w+\s+)?$")
# Words before a span of time that make it no start of the pain ("lifting for 10 years",
# "in 2 weeks", "rested for 3 days"), and words after it ("10 years of lifting").
_NOT_ONSET_BEFORE = {"lifting", "lift", "lifted", "training", "trained", "train", "gym",
                     "workout", "exercising", "doing", "playing", "rested", "resting", "rest",
                     "off", "break", "bodybuilding", "powerlifting", "in", "next", "every", "per",
                     "each", "within", "until", "till", "lifter", "lifts"}
_NOT_ONSET_AFTER = {"training", "lifting", "experience", "sets", "reps", "later", "off", "rest",
                    "break", "gym", "lifts", "exercise", "exercising", "workout"}
# An injury said in the same clause dates a recent span all the same ("hurt my back doing
# leg press yesterday"); years of training stay training.
_INJURY = re.compile(r"\b(?:hurt|injured|tweaked|pulled|strained|did it|did this|felt|popped|"
                     r"twinged|tore|jarred|went)\b")
_ONSET = re.compile(r"\b(?:hurt|injured|tweaked|pulled|strained|did it|did this|started|began|"
                    r"happened|felt it|felt a|went|popped|twinged|came on|been|had it|had this|"
                    r"going on|sore|pain|aching|ache|hurting|stiff|like this)\b")
_APPROX = re.compile(r"(?:\s+(?:about|around|roughly|nearly|almost|like|maybe|approx|"
                     r"approximately|just|over|at least|more than|the|a good|a solid|past|last|"
                     r"prob|probably))+\s*$")
_ONE_LEG_STRICT = re.compile(
    r"\b(?:left|right)\s+(?:leg|thigh|calf|hamstring|buttock|glute|foot|side of my leg)\b|"
    r"\bone\s+(?:leg|side)\b|\bone of my legs\b|"
    r"\b(?:down|into|along|through|to)\s+(?:my|the|me)\s+(?:left\s+|right\s+)?"
    r"(?:leg|thigh|calf|shin|foot|hamstring)\b|"
    r"\b(?:down|into|along|through|to)\s+(?:my|the)\s+(?:back|front|side|outside|inside)\s+of\s+"
    r"(?:my|the)\s+(?:left\s+|right\s+)?(?:leg|thigh|calf|shin|knee)\b")
_BOTH_LEGS_STRICT = re.compile(r"\b(?:down|into|to|through|along)\s+both\s+(?:of\s+)?"
                               r"(?:my\s+|the\s+)?(?:legs|thighs|calves|feet|sides)\b")
_NONE_STRICT = re.compile(
    r"(?<!not )(?<!n't )\b(?:only|just|purely|solely)\s+(?:in\s+|on\s+)?(?:my|the)\s+"
    r"(?:lower\s+|low\s+)?back\b|\b(?:lower\s+)?back only\b|"
    r"\bstays?\s+(?:in|on)\s+(?:my|the)\s+(?:lower\s+)?back\b|"
    r"\b(?:doesn'?t|does not|don'?t|do not|isn'?t|is not|never|not)\s+(?:\w+\s+){0,2}"
    r"(?:(?:go|goes|going|travel|travels|travelling|traveling|radiate|radiates|radiating|shoot|"
    r"shoots|shooting|move|moves|run|runs|spread|spreads|spreading)\s+(?:down|into|to|in)\s+"
    r"(?:(?:my|the|either)\s+)?(?:legs?|thighs?|feet|foot)|spread|spreads|spreading|radiate|"
    r"radiates|radiating)\b|"
    r"\bno pain\s+(?:going\s+)?(?:down|into)\s+(?:my|the)\s+legs?\b")


def _detail_clauses(text: str) -> List[Tuple[str, str]]:
    """(clause, the punctuation that ended it) for free text: split at stops, commas, "but"."""
    text = re.sub(r"\by\s*[./]\s*o\b\.?", "yo", text)
    parts = re.split(r"((?<!\d)\.|\.(?!\d)|[,;!?]|\s-\s|\bbut\b)", text)
    clauses = []
    for i in range(0, len(parts), 2):
        end = parts[i + 1] if i + 1 < len(parts) else ""
        if parts[i].strip():
            clauses.append((parts[i].strip(), end.strip()))
    return clauses


# What makes it worse, only when said outright: "hurts when I bend", "worse if I sit",
# "sneezing kills it". The cause of the injury ("strained it lifting") is not an aggravator,
# and pain at rest or at night is never filled from free text: it is asked as a screen.
_HURTS = r"(?:hurts?|hurting|worse|painful|sore|aches?|aching|kills(?: me)?|agony|twinges?|" \
         r"flares?(?: up)?|spasms?)"
_AGGRAVATED_WHEN = re.compile(
    rf"\b{_HURTS}\s+(?:(?:the\s+)?most\s+|more\s+|a lot\s+|a bit\s+|mostly\s+)?"
    r"(?:when|if|whenever|while|every time)\s+(?:i\s+|im\s+|i'm\s+|i am\s+)?(?:try to\s+)?"
    r"([a-z]+)")
_AGGRAVATES = re.compile(
    r"\b([a-z]+ing)\s+(?:\w+\s+){0,2}?(?:makes? it (?:\w+\s+)?worse|hurts|is painful|kills)\b")


def _aggravators(clause: str) -> Set[str]:
    kinds = set()
    for pattern in (_AGGRAVATED_WHEN, _AGGRAVATES):
        for match in pattern.finditer(clause):
            if any(_is_negator(w) for w in clause[:match.start()].split()[-3:]) or \
                    any(_is_negator(w) for w in match.group().split()):
                continue  # "doesn't hurt when I bend"
            kind = _trigger(match.group(1))
            if kind in ("movement", "sitting", "cough_sneeze"):
                kinds.add(kind)
    return kinds


def _usable(clause: str, end: str) -> bool:
    """A clause that states the person's own current details."""
    return not (end == "?" or _HYPOTHETICAL.search(clause) or _UNKNOWN.search(clause)
                or _OTHER_PERSON.search(clause) or _PAST.search(clause))


def _age_number(raw: str) -> int:
    if raw.isdigit():
        return int(raw)
    if raw in _TEENS:
        return _TEENS[raw]
    tens, _, unit = raw.replace("-", " ").partition(" ")
    return _TENS[tens] + _UNITS.get(unit, 0)


def _ages(clause: str, first_person_only: bool = False) -> Set[str]:
    """The age bands the clause states; `first_person_only`: just "I'm 65" (a clause that
    also names someone else: "I'm 65 and my wife and I joined the gym")."""
    bands = set()
    for pattern in _AGE_PATTERNS[:1] if first_person_only else _AGE_PATTERNS:
        for match in pattern.finditer(clause):
            raw = next(g for g in match.groups() if g)
            if _NOT_AN_AGE_AFTER.match(clause[match.end():]):
                continue
            age = _age_number(raw)
            if re.search(r"\b(?:nearly|almost)\s+$", clause[:match.start(1)]):
                age -= 1
            if 10 <= age <= 105:
                bands.add(_age_band(age))
    if first_person_only:
        return bands
    for pattern in _AGE_PATTERNS_WITH_UNIT:
        for match in pattern.finditer(clause):
            bands.add(_age_band(int(match.group(1))))
    if _SCHOOL_YEAR.search(clause):
        bands.add("under_18")
    for match in _DECADE.finditer(clause):
        word, digit, digit2 = match.groups()
        if digit or digit2:
            decade = int(digit or digit2) * 10
            bands.add(_age_band(decade if decade < 70 else 70))
        else:
            bands.add(_DECADES[word])
    return bands


# Pain that stops daily life, which is what the "severe" button says: "I can't work", "off
# work", "had to cancel everything", "worst pain of my life", "on all fours to the bathroom",
# "can't put my socks on". Only strong markers: "it hurts to bend" is not severe.
_STOPS_DAILY_LIFE = re.compile(
    r"\b(?:(?:can'?t|cannot|can not|unable to|couldn'?t|not able to)\s+(?:even\s+|really\s+)?"
    r"(?:work|walk|stand up|get out of bed|get up|get dressed|drive|put (?:my |on my )?"
    r"(?:socks|shoes)|sit or stand|stand or sit|do anything|function)|"
    r"off work|"
    r"(?:cancel(?:l?ed)?|cancelling|canceling|cancel)\s+(?:\w+\s+){0,1}?(?:every|everything|all|"
    r"work|my jobs|my shifts)|"
    r"worst pain (?:of my life|i'?ve ever|ever)|screaming (?:pain|in pain|agony)|"
    r"on all fours|crawl(?:ed|ing)? to|barely (?:walk|move|get out of bed|stand)|"
    r"bed ?-?bound|stuck in bed|pain is (?:just )?too much)\b")


def _severities(clause: str) -> Set[str]:
    found = {_band(score) if score <= 10 else "severe" for score in _scores(clause)}
    for match in _STOPS_DAILY_LIFE.finditer(clause):
        if not any(_is_negator(w) for w in re.findall(r"[a-z']+", clause[:match.start()])[-2:]):
            found.add("severe")
    words = clause.split()
    for match in _SEVERITY_WORD.finditer(clause):
        before = clause[:match.start()]
        near = set(re.findall(r"[a-z']+", before)[-3:] +
                   re.findall(r"[a-z']+", clause[match.end():])[:3])
        if any(_is_negator(w) for w in re.findall(r"[a-z']+", before)[-3:]):
            continue
        if near & _PAIN_WORDS or _SEVERITY_SAID.search(before) or len(words) == 1:
            word = match.group(1)
            found.add("mild" if word.startswith("mild") else
                      "moderate" if word.startswith("moderate") else "severe")
    return found


# The pain has not improved: what makes "after 3 weeks" or "3 weeks of physio" its length.
_NO_BETTER = re.compile(r"\b(?:still|not (?:shifting|improving|better|going|getting better|"
                        r"moving)|no (?:better|change|improvement|different)|the same|"
                        r"hasn'?t (?:improved|changed|gone|shifted|got(?:ten)? better))\b")


def span_is_day(span: str) -> bool:
    return bool(re.fullmatch(r"on \w+day", span))


def _durations(clause: str) -> Set[str]:
    bands = set()
    for start, end, days in _duration_spans(clause):
        before, after = clause[:start].rstrip(), clause[end:].strip()
        last = re.findall(r"[a-z']+", before)[-3:]
        if after.startswith("ago") and _INJURY.search(before) and \
                not any(_is_negator(w) for w in last):
            bands.add(_duration_band(days))  # "hurt it doing squats 7 weeks ago": the onset
            continue
        if span_is_day(clause[start:end]):
            if _INJURY.search(clause):
                bands.add(_duration_band(days))  # "hurt it deadlifting on Saturday"
            continue
        if _NO_BETTER.search(clause) and (re.search(r"\bafter$", before) or (
                not before.strip() and re.match(r"(?:of|and)\b", after))):
            # "still the same after 3 weeks of rest", "3 weeks of physio and it's not
            # shifting": the pain has lasted that long
            bands.add(_duration_band(days))
            continue
        if any(_is_negator(w) for w in last) or \
                set(last) & {"worse", "better", "flared", "flare", "worsened", "improved", "eased",
                             "easing", "worsening"} or \
                set(re.findall(r"[a-z']+", after)[:2]) & _NOT_ONSET_AFTER:
            continue
        if set(last) & _NOT_ONSET_BEFORE and not (days <= 7 and _INJURY.search(clause)
                                                   and not set(last[-1:]) & {"in", "next"}):
            continue
        core = _APPROX.sub("", " " + re.sub(r"\d+\s*(?:-|to|or)\s*$", "", before)).strip()
        span = clause[start:end]
        bare = not core and re.fullmatch(r"(?:(?:or so|ish|now|already|tops|so far)\s*)*", after)
        if after.startswith("ago") or re.match(r"(?:now|in\b|on and off|of (?:pain|this|it)|"
                                               r"or so|ish)", after) or bare or \
                re.search(r"\b(?:since|from)$", core) or span.startswith("since"):
            bands.add(_duration_band(days))
        elif re.search(r"\b(?:for|past|last)$", core) or re.search(r"\bfor$", core):
            if _ONSET.search(core):
                bands.add(_duration_band(days))
        elif span in ("last week", "last month"):
            if _ONSET.search(clause):
                bands.add(_duration_band(days))
        elif re.fullmatch(r"today|this morning|yesterday|last night|since \w+", span):
            bands.add(_duration_band(days))
        elif _ONSET.search(before):
            bands.add(_duration_band(days))
    return bands


def _spreads(clause: str) -> Set[str]:
    clause = _EXERCISE.sub(" exercise ", clause)
    found = set()
    for pattern, value in ((_BOTH_LEGS_STRICT, "both_legs"), (_ONE_LEG_STRICT, "one_leg")):
        for match in pattern.finditer(clause):
            before = re.findall(r"[a-z']+", clause[:match.start()])
            after = re.findall(r"[a-z']+", clause[match.end():])[:3]
            if any(_is_negator(w) for w in before[-5:]) or set(after) & _FINE:
                continue
            if value == "one_leg" and "both" in before[-3:]:
                continue
            found.add(value)
    if _NONE_STRICT.search(clause) and not _NOT_ONLY.search(clause):
        found.add("none")
    return found


def _mask_negated(text: str, entities: Iterable[Mapping]) -> str:
    """The text with the words of each entity that is not the person's current one (negated,
    someone else's, past, "what if") blanked out: nothing fills from them."""
    for entity in entities or ():
        if not isinstance(entity, Mapping) or entity.get("role") not in triage.NOT_CURRENT_ROLES:
            continue
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            text = text[:start] + " " * (end - start) + text[end:]
            continue
        value = entity.get("value")
        if isinstance(value, str) and value:
            at = text.lower().find(value.lower())
            if at >= 0:
                text = text[:at] + " " * len(value) + text[at + len(value):]
    return text


def extract_details(text: str, entities: list) -> Dict[str, str]:
    """The answers that a free-text message states outright, as {question id: value}.

    Only for the questions that are not red-flag screens (severity, trend, duration, spread,
    aggravators, age_band) and only what is said explicitly: a score ("3/10") or a severity
    word (mild, moderate, severe, excruciating, unbearable), a trend ("easing off", "no
    better"), a dated start ("3 days ago", "since Monday"), where the pain goes ("only in my
    back", "down my left leg"), what makes it worse ("hurts when I bend", "sitting makes it
    worse"; never rest or night) and an age ("I'm 30", "45M"). Nothing negated, hypothetical, about someone
    else, or in doubt fills; neither does a number that is a weight, a count or a span of
    training; and a question whose statements disagree is left for the form to ask.
    """
    text = normalize_text(_mask_negated(text or "", entities or ())).lower()
    if not text:
        return {}
    text = _mend_typos(text)
    # "getting worse, not better": one trend said twice, not two that disagree
    text = re.sub(r"\b(worse|better)\s*,?\s*(?:and\s+)?not (?:better|worse)\b", r"\1", text)
    found: Dict[str, Set[str]] = {q: set() for q in ("severity", "trend", "duration", "spread",
                                                      "aggravators", "age_band")}
    for clause, end in _detail_clauses(text):
        found["age_band"] |= _ages(clause, first_person_only=bool(_OTHER_PERSON.search(clause)))
        if end == "?" and _PRESUPPOSED_WORSE.match(clause):
            found["trend"].add("worse")
        if not _usable(clause, end):
            continue
        found["severity"] |= _severities(clause)
        trend = _trend_from_marks(_trend_marks(clause, strict=True))
        if trend:
            if _NOW_MARKER.match(clause):
                found["trend"] = set()  # how it is now, after the story of how it went
            found["trend"].add(trend)
        found["duration"] |= _durations(clause)
        found["spread"] |= _spreads(clause)
        found["aggravators"] |= _aggravators(clause)
    if "one_leg" in found["spread"]:
        found["spread"].discard("none")  # "just my back and down my left leg" is not only back
    details = {}
    for question_id, values in found.items():
        if len(values) == 1:
            value = values.pop()
            if value in triage.QUESTION_BY_ID[question_id].answers:
                details[question_id] = value
    return details


# ---------------------------------------------------------------------------- tables

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
    "left right both thighs hamstrings knees buttocks "
    "bending lifting moving twisting walking standing sitting seated driving coughing "
    "sneezing laughing straining resting lying nothing constant exercise training squat "
    "teenager pensioner twenties thirties forties fifties sixties seventies eighties").split()


# Real words a close match would wrongly "mend" into an answer word: "waking me up" is no
# walking, "seeing" no sneezing, "willing" no killing.
_REAL_WORDS = frozenset((
    "waking awaking talking wailing balking hitting fitting pitting splitting spitting sifting "
    "stating suiting setting settings unsettling testing resetting resulting restoring "
    "resisting resorting restating renting nesting flying plying willing filling billing "
    "milling tilling seeing sneering ending endings sending pending lending mending tending "
    "fending binding bedding blending bonding shame table stale sable highs bright fright "
    "wright black booth broth botch knight knights insights proving improvising pleasing "
    "ceasing teasing leasing feasting creasing erasing kneel kneels kneeling changed changes "
    "changing changer exchange noting notching moaning mourning mooring draining raining "
    "trailing braining removing diving deriving depriving staining spraining constraining "
    "restraining sanding stranding strays sedated sweated rally petty fairy sever severed "
    "roughing couching gifting listing lofting sight light lefty cleft yearns moths coupe "
    "fortes sorties derate joust drays unchained sated").split())


def _mend_typos(text: str) -> str:
    def mend(match: re.Match) -> str:
        word = match.group(0)
        if len(word) < 5 or word in _ANSWER_WORDS or word in _REAL_WORDS:
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
