"""The triage rules, one test per row of the red-flag table in shared/notes/clinical.md."""
import itertools

import pytest

from bot.clinical import triage
from bot.clinical.triage import EMERGENCY, SEE_DOCTOR, SELF_CARE, URGENT

# Answers of a person with no flag at all: mild, improving, a few days, back only.
CLEAR = {
    "em_cauda_equina": "no", "em_legs": "no", "em_trauma": "no", "em_chest_abdomen": "no",
    "ur_fever": "no", "ur_history": "no", "ur_pattern": "no", "severity": "mild",
    "trend": "better", "duration": "under_1_week", "spread": "none", "aggravators": "movement",
    "age_band": "18_49",
}


def with_(**changes):
    return {**CLEAR, **changes}


def test_no_flags_is_self_care():
    outcome = triage.assess(CLEAR)
    assert outcome.disposition == SELF_CARE
    assert outcome.rule == "no_flags"


# Each row of the red-flag table, as a flag mentioned in free text.
@pytest.mark.parametrize("flag,level", [
    ("saddle_numbness", EMERGENCY),      # numbness around genitals, buttocks, inner thighs
    ("bladder_bowel", EMERGENCY),        # can't pee / lost control of bladder or bowels
    ("sexual_dysfunction", EMERGENCY),   # new sexual dysfunction with back pain
    ("both_legs", EMERGENCY),            # pain, tingling, numbness or weakness in both legs
    ("leg_weakness", EMERGENCY),         # legs giving way, weakness of both or getting worse
    ("one_leg_weakness", URGENT),        # one foot or leg weak, foot drop (NICE CKS)
    ("major_trauma", EMERGENCY),         # a fall, the sled or weight dropping on the person
    ("chest_pain", EMERGENCY),           # chest pain, jaw/arm, sweating
    ("abdominal_pulsation", EMERGENCY),  # throbbing belly, faint, dizzy
    ("fever", URGENT),
    ("immunosuppression", URGENT),       # injected drugs, weak immune system, steroids
    ("cancer_history", URGENT),
    ("weight_loss", URGENT),
    ("night_pain", URGENT),              # does not ease with rest, worse at night
    ("back_deformity", URGENT),          # lump, swelling, change of shape
    ("thoracic_pain", URGENT),           # between the shoulder blades
    ("osteoporosis", URGENT),            # fracture risk after a minor strain
    ("pregnancy", SEE_DOCTOR),           # midwife or GP
])
def test_each_flag_reaches_its_level(flag, level):
    # With every other answer clear, and with nothing answered at all (first message).
    for answers in (CLEAR, {}):
        outcome = triage.assess(answers, [flag])
        assert outcome.disposition == level
        assert outcome.rule == f"flag:{flag}"


@pytest.mark.parametrize("question,level", [
    ("em_cauda_equina", EMERGENCY), ("em_legs", EMERGENCY), ("em_trauma", EMERGENCY),
    ("em_chest_abdomen", EMERGENCY), ("ur_fever", URGENT), ("ur_history", URGENT),
    ("ur_pattern", URGENT),
])
def test_yes_or_not_sure_to_a_screen_question_escalates(question, level):
    assert triage.assess(with_(**{question: "yes"})).disposition == level
    # "Not sure" counts as yes, never as no.
    outcome = triage.assess(with_(**{question: "unsure"}))
    assert outcome.disposition == level
    assert outcome.rule == f"{question}:unsure"


def test_pain_down_both_legs_is_an_emergency():
    assert triage.assess(with_(spread="both_legs")).disposition == EMERGENCY


def test_pain_down_one_leg_alone_is_self_care_with_the_sciatica_note():
    outcome = triage.assess(with_(spread="one_leg"))
    assert outcome.disposition == SELF_CARE
    assert "sciatica_one_leg" in outcome.reasons


def test_one_leg_not_improving_after_weeks_is_see_doctor():
    outcome = triage.assess(with_(spread="one_leg", duration="2_6_weeks", trend="same"))
    assert outcome.disposition == SEE_DOCTOR


def test_pain_that_does_not_ease_with_rest_is_urgent():
    assert triage.assess(with_(aggravators="rest_night")).disposition == URGENT


@pytest.mark.parametrize("changes,rule", [
    ({"severity": "severe"}, "severe"),
    ({"trend": "worse"}, "worsening"),
    ({"duration": "2_6_weeks", "trend": "same"}, "not_improving"),
    ({"duration": "over_6_weeks"}, "long_duration"),
    ({"age_band": "50_69"}, "over_50"),
    ({"age_band": "under_18"}, "under_18"),
])
def test_see_doctor_rows(changes, rule):
    outcome = triage.assess(with_(**changes))
    assert outcome.disposition == SEE_DOCTOR
    assert outcome.rule == rule


def test_improving_at_two_to_six_weeks_stays_self_care():
    assert triage.assess(with_(duration="2_6_weeks", trend="better")).disposition == SELF_CARE


def test_older_age_after_a_strain_is_urgent():
    assert triage.assess(with_(age_band="70_plus")).disposition == URGENT


def test_the_highest_level_wins_and_all_reasons_at_it_are_kept():
    outcome = triage.assess(with_(severity="severe", ur_fever="yes"), ["bladder_bowel", "fever"])
    assert outcome.disposition == EMERGENCY
    assert outcome.reasons == ("flag:bladder_bowel",)
    assert {f.rule for f in outcome.findings} >= {"flag:fever", "ur_fever:yes", "severe"}


@pytest.mark.parametrize("previous,new_flags", itertools.product(
    triage.LADDER, [[], ["fever"], ["pregnancy"], ["saddle_numbness"]]))
def test_a_level_is_never_lowered(previous, new_flags):
    outcome = triage.assess(CLEAR, new_flags, previous=previous)
    assert triage.level_rank(outcome.disposition) >= triage.level_rank(previous)
    computed = triage.assess(CLEAR, new_flags).disposition
    assert outcome.disposition == triage.highest(previous, computed)


def test_kept_level_names_its_rule():
    outcome = triage.assess(CLEAR, [], previous=EMERGENCY)
    assert (outcome.disposition, outcome.rule) == (EMERGENCY, "kept:previous")


def test_questions_come_emergency_screens_first_each_level_in_one_question():
    # Clinical notes: emergency signs first, "quickly, all at once where possible".
    assert triage.remaining_questions({}) == ("em_all", "ur_all") + triage.DETAIL_QUESTIONS
    # A no to a grouped question answers every screen it lists.
    assert triage.remaining_questions({"em_all": "no"})[0] == "ur_all"
    assert triage.remaining_questions({"em_all": "no", "ur_all": "no"}) \
        == triage.DETAIL_QUESTIONS
    # A yes (or a second not-sure) gives that level.
    assert triage.assess({"ur_all": "yes"}).disposition == URGENT
    assert triage.assess({"ur_all": "unsure"}).disposition == URGENT
    assert triage.decided_early({"em_all": "no", "ur_all": "yes"}, []) == URGENT
    # Screens of a level answered one by one leave the rest to their own question, or grouped.
    assert triage.remaining_questions({"em_cauda_equina": "no", "em_legs": "no",
                                       "em_trauma": "no"})[:2] == ("em_chest_abdomen", "ur_all")
    assert triage.remaining_questions({"ur_fever": "no", "ur_history": "no",
                                       "em_all": "no"})[0] == "ur_pattern"


def test_an_emergency_flag_ends_the_questions_at_once():
    assert triage.remaining_questions({}, ["bladder_bowel"]) == ()
    assert triage.remaining_questions({"em_cauda_equina": "unsure"}) == ()
    assert triage.remaining_questions({}, ["legs_described"]) == ()


def test_an_urgent_flag_first_rules_out_emergencies_in_one_question():
    # Clinical notes: emergencies are ruled out before urgent advice, quickly, grouped.
    assert triage.remaining_questions({}, ["fever"]) == ("em_all",)
    assert triage.decided_early({}, ["fever"]) is None
    assert triage.remaining_questions({"em_all": "no"}, ["fever"]) == ()
    assert triage.decided_early({"em_all": "no"}, ["fever"]) == URGENT
    assert triage.assess({"em_all": "yes"}, ["fever"]).disposition == EMERGENCY
    assert triage.assess({"em_all": "unsure"}, ["night_pain"]).disposition == EMERGENCY
    # Screens already answered are not asked again; one left is asked on its own.
    answered = {"em_cauda_equina": "no", "em_legs": "no", "em_trauma": "no"}
    assert triage.remaining_questions(answered, ["fever"]) == ("em_chest_abdomen",)
    assert triage.remaining_questions({**answered, "em_chest_abdomen": "no"}, ["fever"]) == ()
    # An urgent screen answered yes does the same.
    assert triage.remaining_questions({"ur_fever": "yes"}) == ("em_all",)


def test_one_leg_weakness_is_urgent_and_both_legs_an_emergency():
    assert triage.assess(CLEAR, ["one_leg_weakness"]).disposition == URGENT
    assert triage.assess(CLEAR, ["leg_weakness"]).disposition == EMERGENCY
    assert triage.assess(with_(spread="both_legs")).disposition == EMERGENCY


def test_screens_touched_by_the_message_are_asked_first():
    order = triage.remaining_questions({}, [], ask_first=["em_trauma", "not_a_question"])
    assert order[:3] == ("em_trauma", "em_all", "ur_all")
    after = triage.remaining_questions({"em_trauma": "no"}, [], ask_first=["em_trauma"])
    assert after[:2] == ("em_all", "ur_all")
    # A screen the grouped question already answered is not asked again.
    assert triage.remaining_questions({"em_all": "no", "ur_all": "no"}, [],
                                      ask_first=["em_cauda_equina"]) == triage.DETAIL_QUESTIONS
    # The only other open screen of its level is asked on its own, not grouped.
    three = {"em_cauda_equina": "no", "em_legs": "no"}
    assert triage.remaining_questions(three, [], ask_first=["em_trauma"])[:2] \
        == ("em_trauma", "em_chest_abdomen")


def test_lower_findings_do_not_end_the_questions():
    assert triage.remaining_questions({}, ["pregnancy"]) == triage.remaining_questions({})
    assert triage.remaining_questions({"severity": "severe"})[0] == "em_all"


def test_complete_answers_leave_nothing_to_ask():
    assert triage.remaining_questions(CLEAR) == ()


def test_every_flag_has_a_pattern_and_a_reason_the_bot_can_say():
    """Each flag of the rules can be detected in free text and explained to the person."""
    import yaml
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern_ids = set()
    for path in (root / "data" / "patterns").glob("*.yml"):
        data = yaml.safe_load(path.read_text()) or {}
        if data.get("label") in ("red_flag", "risk_factor"):
            pattern_ids |= {entry["id"] for entry in data["entries"]}
    responses = yaml.safe_load((root / "domain.yml").read_text())["responses"]
    described = set(triage.DESCRIBED_FLAG_OF_SCREEN.values())  # from the learned detector
    assert set(triage.FLAG_LEVEL) - described == pattern_ids
    assert described <= set(triage.EMERGENCY_FLAGS)
    assert {f"utter_flag_{flag}" for flag in triage.FLAG_LEVEL} <= set(responses)


# --- "not sure" once re-asks, twice counts (clinical notes, issue 14) ----------------------

@pytest.mark.parametrize("question", [q.id for q in triage.QUESTIONS] + ["em_all", "ur_all"])
def test_a_first_not_sure_asks_again_in_plainer_words(question):
    assert triage.after_not_sure(question, []) == triage.ASKED_AGAIN
    assert triage.after_not_sure(question, ["em_legs" if question != "em_legs" else "em_trauma"]) \
        == triage.ASKED_AGAIN


@pytest.mark.parametrize("question", [q.id for q in triage.QUESTIONS if q.level_if_yes]
                         + ["em_all", "ur_all"])
def test_a_second_not_sure_to_a_screen_escalates_to_its_level(question):
    answer = triage.after_not_sure(question, [question])
    assert answer == triage.UNSURE
    level = triage.assess({question: answer}).disposition
    assert level == triage.QUESTION_BY_ID[question].level_if_yes


def test_a_detail_assumed_after_two_not_sures_never_lowers_the_advice():
    """The assumption is the answer that gives the highest level among the question's answers
    that are not red flags themselves (those are asked as screens). Age is the exception: a
    person who will not say it is not sent to urgent care; the result names the over-70 rule
    instead (utter_assumed_age_band, checked by test_conversation)."""
    red_flag_answers = {("spread", "both_legs"), ("aggravators", "rest_night"),
                        ("age_band", "70_plus")}
    for question in (q for q in triage.QUESTIONS if q.level_if_yes is None):
        assumed = triage.after_not_sure(question.id, [question.id])
        assert assumed == triage.ASSUMED_IF_UNSURE[question.id]
        for answer in question.answers:
            if (question.id, answer) in red_flag_answers:
                continue
            assert triage.level_rank(triage.assess({question.id: assumed}).disposition) >= \
                triage.level_rank(triage.assess({question.id: answer}).disposition), \
                (question.id, answer)


def test_an_overdose_makes_the_conversation_at_least_urgent():
    assert triage.level_after_overdose(None) == URGENT
    assert triage.level_after_overdose(SELF_CARE) == URGENT
    assert triage.level_after_overdose(EMERGENCY) == EMERGENCY
    # and a later check cannot end lower
    assert triage.assess({}, previous=triage.level_after_overdose(None)).disposition == URGENT
