"""The triage rules: answers and red flags in, a disposition and the rules that fired out.

This module is the clinical logic of the bot and nothing else. It knows nothing of Rasa, of
channels or of wording: the levels and flags follow the ladder and red-flag table of the
project's clinical notes (NHS, NICE NG59 / CKS, ACP), and every response text lives in the
domain. Keep it pure so that it can be read, reviewed and tested on its own.

The shape follows the clinical hierarchy of NHS Pathways: emergency signs are asked first, any
red flag jumps straight to its level, "not sure" to a red-flag question counts as a yes, and a
level once given is never lowered in the same conversation. Emergencies are ruled out before
urgent advice: an urgent flag ends the questions only once the emergency screens are answered.
Screens are asked together, one question listing every sign of a level, when several of that
level are still open (the clinical notes: "quickly, all at once where possible"); a screen the
person's own words touched is asked on its own, first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence, Tuple

RULES_VERSION = "2026.12-3"

# The ladder, lowest to highest. The order is the point: max() over it never lowers a level.
SELF_CARE = "self_care"
SEE_DOCTOR = "see_doctor"
URGENT = "urgent"
EMERGENCY = "emergency"
LADDER: Tuple[str, ...] = (SELF_CARE, SEE_DOCTOR, URGENT, EMERGENCY)

# Red flags by level (ids shared with the entity patterns in data/patterns/red_flags.yml).
EMERGENCY_FLAGS = (
    "saddle_numbness",      # cauda equina: numb genitals, buttocks, inner thighs
    "bladder_bowel",        # new retention or incontinence
    "sexual_dysfunction",   # new, with back pain
    "both_legs",            # bilateral pain, numbness, tingling or weakness
    "leg_weakness",         # legs giving way, weakness of both legs or getting worse
    # Signs the learned detector read in words the patterns do not know, by screen.
    "cauda_equina_described",
    "legs_described",
    "trauma_described",
    "chest_abdomen_described",
    "major_trauma",         # a fall, the sled or weight landing on the person
    "chest_pain",           # cardiac mimic: chest, jaw or arm pain, sweating
    "abdominal_pulsation",  # aortic aneurysm mimic: throbbing belly, faint, dizzy
)
URGENT_FLAGS = (
    "fever",
    "immunosuppression",    # injected drugs, weak immune system, long-term steroids
    "cancer_history",
    "weight_loss",
    "night_pain",           # does not ease with rest, worse at night
    "back_deformity",       # a lump, swelling or change of shape
    "thoracic_pain",        # between the shoulder blades rather than the lower back
    "osteoporosis",         # fracture risk after a minor strain
    "one_leg_weakness",     # one foot or leg weak, foot drop (NICE CKS: urgent, same day)
)
SEE_DOCTOR_FLAGS = ("pregnancy",)
# The emergency screen that asks about each emergency flag.
SCREEN_OF_FLAG = {
    "saddle_numbness": "em_cauda_equina", "bladder_bowel": "em_cauda_equina",
    "sexual_dysfunction": "em_cauda_equina", "cauda_equina_described": "em_cauda_equina",
    "both_legs": "em_legs", "leg_weakness": "em_legs", "legs_described": "em_legs",
    "major_trauma": "em_trauma", "trauma_described": "em_trauma",
    "chest_pain": "em_chest_abdomen", "abdominal_pulsation": "em_chest_abdomen",
    "chest_abdomen_described": "em_chest_abdomen",
}
# The flag the learned detector gives, by the emergency screen it read (no pattern has these).
DESCRIBED_FLAG_OF_SCREEN = {
    "em_cauda_equina": "cauda_equina_described",
    "em_legs": "legs_described",
    "em_trauma": "trauma_described",
    "em_chest_abdomen": "chest_abdomen_described",
}

FLAG_LEVEL = {
    **{flag: EMERGENCY for flag in EMERGENCY_FLAGS},
    **{flag: URGENT for flag in URGENT_FLAGS},
    **{flag: SEE_DOCTOR for flag in SEE_DOCTOR_FLAGS},
}

YES, NO, UNSURE = "yes", "no", "unsure"

# A mention counts as a red flag only when it is affirmed, about the person, current and not
# hypothetical (ConText). The language layer marks the others with one of these roles.
NEGATED, OTHER_PERSON, HISTORICAL, HYPOTHETICAL = "negated", "other_person", "historical", \
    "hypothetical"
NOT_CURRENT_ROLES = (NEGATED, OTHER_PERSON, HISTORICAL, HYPOTHETICAL)


@dataclass(frozen=True)
class Question:
    id: str
    answers: Tuple[str, ...]
    # For the yes/no red-flag screens: the level a yes (or a not-sure) leads to.
    level_if_yes: Optional[str] = None


# Asked in this order; the order is the clinical hierarchy (emergency screens first).
QUESTIONS: Tuple[Question, ...] = (
    Question("em_cauda_equina", (YES, NO, UNSURE), EMERGENCY),
    Question("em_legs", (YES, NO, UNSURE), EMERGENCY),
    Question("em_trauma", (YES, NO, UNSURE), EMERGENCY),
    Question("em_chest_abdomen", (YES, NO, UNSURE), EMERGENCY),
    Question("ur_fever", (YES, NO, UNSURE), URGENT),
    Question("ur_history", (YES, NO, UNSURE), URGENT),
    Question("ur_pattern", (YES, NO, UNSURE), URGENT),
    Question("severity", ("mild", "moderate", "severe")),
    Question("trend", ("better", "same", "worse")),
    Question("duration", ("under_1_week", "1_2_weeks", "2_6_weeks", "over_6_weeks")),
    Question("spread", ("none", "one_leg", "both_legs")),
    Question("aggravators", ("movement", "sitting", "cough_sneeze", "rest_night", "none")),
    Question("age_band", ("under_18", "18_49", "50_69", "70_plus")),
)
QUESTION_IDS = tuple(q.id for q in QUESTIONS)
EMERGENCY_SCREENS = tuple(q.id for q in QUESTIONS if q.level_if_yes == EMERGENCY)
URGENT_SCREENS = tuple(q.id for q in QUESTIONS if q.level_if_yes == URGENT)
DETAIL_QUESTIONS = tuple(q.id for q in QUESTIONS if q.level_if_yes is None)
# The screens of one level in one question, asked when more than one of them is still open: a
# yes (or a second not-sure) to it gives that level, a no answers every screen it lists.
ALL_EMERGENCY_SCREENS = Question("em_all", (YES, NO, UNSURE), EMERGENCY)
ALL_URGENT_SCREENS = Question("ur_all", (YES, NO, UNSURE), URGENT)
GROUPED_SCREENS = {ALL_EMERGENCY_SCREENS.id: EMERGENCY_SCREENS,
                   ALL_URGENT_SCREENS.id: URGENT_SCREENS}
QUESTION_BY_ID = {q.id: q for q in QUESTIONS + (ALL_EMERGENCY_SCREENS, ALL_URGENT_SCREENS)}
# Every slot the triage form may ask for.
FORM_QUESTION_IDS = QUESTION_IDS + tuple(GROUPED_SCREENS)


@dataclass(frozen=True)
class Finding:
    """One rule that fired: its level and an id that names it (used for wording and records).

    Rule ids: `flag:<flag id>` for a red flag or risk factor, `<question id>:yes` or
    `<question id>:unsure` for a red-flag screen, and a plain name for the other rules
    (`severe`, `worsening`, `not_improving`, `long_duration`, `under_18`, `over_50`,
    `over_70`, `sciatica_one_leg`).
    """

    level: str
    rule: str


@dataclass(frozen=True)
class Outcome:
    disposition: str
    rule: str                        # the rule that decided the level (the first at that level)
    findings: Tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def reasons(self) -> Tuple[str, ...]:
        """Rules that fired at the deciding level, in the order they were found."""
        return tuple(f.rule for f in self.findings if f.level == self.disposition)


# Rule ids that are not a flag or a screen question (see Finding).
PLAIN_RULES = ("severe", "worsening", "not_improving", "long_duration", "under_18", "over_50",
               "over_70", "sciatica_one_leg")
# Too much of a medicine, or a mix-up (clinical notes): urgent advice, never a dose. The rule id
# names the level it gives the conversation (a later check cannot end lower).
MEDICINE_OVERDOSE = "medicine_overdose"


def level_after_overdose(previous: Optional[str]) -> str:
    """The conversation's level once the person says they took too much: at least urgent."""
    return highest(previous, URGENT)


def all_rules() -> Tuple[str, ...]:
    """Every rule id `findings` can report, for checks that each one has its wording."""
    screens = tuple(f"{q.id}:{answer}" for q in QUESTIONS + (ALL_EMERGENCY_SCREENS,
                                                             ALL_URGENT_SCREENS)
                    if q.level_if_yes for answer in (YES, UNSURE))
    return tuple(f"flag:{flag}" for flag in FLAG_LEVEL) + screens + PLAIN_RULES


def level_rank(level: Optional[str]) -> int:
    return LADDER.index(level) if level in LADDER else -1


def highest(*levels: Optional[str]) -> Optional[str]:
    """The higher of the given levels; None only when none is a level."""
    known = [lvl for lvl in levels if lvl in LADDER]
    return max(known, key=level_rank) if known else None


def findings(answers: Mapping[str, Optional[str]], flags: Iterable[str]) -> Tuple[Finding, ...]:
    """Every rule that fires for these answers and flags, highest level first."""
    found = []
    for flag in _unique(flags):
        if flag in FLAG_LEVEL:
            found.append(Finding(FLAG_LEVEL[flag], f"flag:{flag}"))

    for question in QUESTIONS + (ALL_EMERGENCY_SCREENS, ALL_URGENT_SCREENS):
        if question.level_if_yes is None:
            continue
        answer = answers.get(question.id)
        if answer == YES:
            found.append(Finding(question.level_if_yes, f"{question.id}:yes"))
        elif answer == UNSURE:
            # "Not sure" to a red-flag screen escalates: it never counts as "no".
            found.append(Finding(question.level_if_yes, f"{question.id}:unsure"))

    spread = answers.get("spread")
    if spread == "both_legs":
        found.append(Finding(EMERGENCY, "flag:both_legs"))
    if answers.get("aggravators") == "rest_night":
        found.append(Finding(URGENT, "flag:night_pain"))

    age = answers.get("age_band")
    if age == "70_plus":
        # Older age and pain after a strain: fracture risk (NICE CKS).
        found.append(Finding(URGENT, "over_70"))
    elif age == "50_69":
        found.append(Finding(SEE_DOCTOR, "over_50"))
    elif age == "under_18":
        found.append(Finding(SEE_DOCTOR, "under_18"))

    if answers.get("severity") == "severe":
        found.append(Finding(SEE_DOCTOR, "severe"))
    trend = answers.get("trend")
    if trend == "worse":
        found.append(Finding(SEE_DOCTOR, "worsening"))
    duration = answers.get("duration")
    if duration == "over_6_weeks":
        found.append(Finding(SEE_DOCTOR, "long_duration"))
    elif duration == "2_6_weeks" and trend in ("same", "worse"):
        # Not improving after 2-3 weeks of home care.
        found.append(Finding(SEE_DOCTOR, "not_improving"))

    if spread == "one_leg":
        # Sciatica pattern without other flags: self-care with a safety net.
        found.append(Finding(SELF_CARE, "sciatica_one_leg"))

    found.sort(key=lambda f: -level_rank(f.level))  # stable: keeps the order found within a level
    return tuple(found)


def assess(
    answers: Mapping[str, Optional[str]],
    flags: Iterable[str] = (),
    previous: Optional[str] = None,
) -> Outcome:
    """The disposition for what is known so far, never below `previous`.

    With nothing reported the result is self-care; callers decide when enough is known
    (see `remaining_questions`).
    """
    found = findings(answers, flags)
    computed = found[0].level if found else SELF_CARE
    level = highest(computed, previous) or SELF_CARE
    at_level = [f for f in found if f.level == level]
    if at_level:
        rule = at_level[0].rule
    elif level_rank(previous) > level_rank(computed):
        rule = "kept:previous"
    else:
        rule = "no_flags"
    return Outcome(level, rule, found)


def decided_early(answers: Mapping[str, Optional[str]], flags: Iterable[str]) -> Optional[str]:
    """The level when the findings so far already settle it, else None.

    An emergency finding ends the questions at once. An urgent finding ends them once every
    emergency screen is answered (directly, or through the grouped screen): a message with an
    urgent flag can hide an emergency sign in words the bot did not catch.
    """
    found = findings(answers, flags)
    if not found:
        return None
    if found[0].level == EMERGENCY:
        return EMERGENCY
    if found[0].level == URGENT and not _open_emergency_screens(answers):
        return URGENT
    return None


def _open_screens(answers: Mapping[str, Optional[str]], group: str) -> Tuple[str, ...]:
    """The screens of `group` not yet answered (none once the grouped question is)."""
    if answers.get(group) is not None:
        return ()
    return tuple(q for q in GROUPED_SCREENS[group] if answers.get(q) is None)


def _open_emergency_screens(answers: Mapping[str, Optional[str]]) -> Tuple[str, ...]:
    return _open_screens(answers, ALL_EMERGENCY_SCREENS.id)


def remaining_questions(
    answers: Mapping[str, Optional[str]], flags: Iterable[str] = (),
    ask_first: Iterable[str] = (),
) -> Sequence[str]:
    """The questions still to ask, in order; empty when the triage is complete.

    `ask_first`: screens to ask on their own before the others, because the person's own
    words touched them without settling them ("my genitals went to sleep", a sign about
    someone else). Then the emergency screens, the urgent screens (each level in one question
    while more than one of its screens is open), then the details. After an urgent finding
    only the emergency screens are left.
    """
    flags = tuple(flags)
    if decided_early(answers, flags):
        return ()
    found = findings(answers, flags)
    if found and found[0].level == URGENT:
        still_open = _open_emergency_screens(answers)
        return (ALL_EMERGENCY_SCREENS.id,) if len(still_open) > 1 else still_open
    # A screen is answered by its own question or by its level's grouped one.
    order = [q for q in _unique(ask_first) if q in QUESTION_IDS and answers.get(q) is None
             and not any(answers.get(group) is not None and q in members
                         for group, members in GROUPED_SCREENS.items())]
    for group in GROUPED_SCREENS:  # emergency, then urgent
        still_open = [q for q in _open_screens(answers, group) if q not in order]
        order += [group] if len(still_open) > 1 else still_open
    order += [q for q in DETAIL_QUESTIONS if answers.get(q) is None and q not in order]
    return tuple(order)


# "Not sure" (clinical notes): the first one to a question gets the question again in plainer
# words with examples, since people often do not know the term; a second one counts. To a
# red-flag screen it counts as a yes (it escalates to the screen's level); to a detail question
# the careful answer below is assumed, and the result says so.
ASKED_AGAIN = "asked_again"
# For each detail question, the answer that gives the highest level among the answers that are
# not red flags themselves (both legs and night pain are asked as screens): assuming it can
# only make the advice more careful. Age is the exception: someone who will not say it is
# assumed 50-69 (see a doctor), not sent to urgent care, and the result tells them that at 70
# or over they should be checked today.
ASSUMED_IF_UNSURE = {
    "severity": "severe",
    "trend": "worse",
    "duration": "over_6_weeks",
    "spread": "one_leg",
    "aggravators": "movement",
    "age_band": "50_69",
}


def after_not_sure(question_id: str, unsure_before: Iterable[str]) -> str:
    """What a "not sure" to `question_id` does: ASKED_AGAIN the first time, then the value to
    record (UNSURE for a red-flag screen, the careful assumption for a detail question)."""
    question = QUESTION_BY_ID[question_id]
    if question_id not in tuple(unsure_before):
        return ASKED_AGAIN
    if question.level_if_yes is not None:
        return UNSURE
    return ASSUMED_IF_UNSURE[question_id]


def open_emergency_screens(answers: Mapping[str, Optional[str]]) -> Tuple[str, ...]:
    """The emergency screens not yet answered (none once the grouped question is)."""
    return _open_emergency_screens(answers)


def _unique(items: Iterable[str]) -> Tuple[str, ...]:
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)
