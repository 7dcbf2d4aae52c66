"""The handover summary's rendering (bot/handover/summary.py): every fact has its words in
data/summary/wording.yml, the three formats say the same, the person's words are escaped, and
the PDF is real text with a title, a language and tagged headings (read back with pypdf)."""
import io

import pytest
from pypdf import PdfReader

from bot import settings
from bot.clinical import triage
from bot.handover import summary

FACTS = {
    "disposition": "see_doctor", "rules": ["severe", "over_50"],
    "answers": {"em_legs": "no", "ur_fever": "unsure", "severity": "severe",
                "duration": "over_6_weeks", "spread": "one_leg", "age_band": "50_69"},
    "flags": ["pregnancy"],
    "own_words": {"symptoms": ["stabbing pain"], "side": ["left"], "duration": ["3 weeks"],
                  "warning_signs": ["<script>alert(1)</script> can\u2019t feel the toilet paper"]},
    "provisional": True, "assumed": ["trend"], "rules_version": triage.RULES_VERSION,
    "region": settings.region_slots({"REGION": "uk"}),
}
CREATED, EXPIRES = "2026-12-02T12:00:00+00:00", "2026-12-09T12:00:00+00:00"


def parts(facts=FACTS):
    return summary.sections(facts, reference="ABCD-EFGH", created_at=CREATED, expires_at=EXPIRES)


def test_every_question_answer_level_flag_and_rule_has_its_words():
    for question in triage.QUESTIONS + (triage.ALL_EMERGENCY_SCREENS,):
        assert summary.question_label(question.id)
        for answer in question.answers:
            assert summary.answer_words(question.id, answer), (question.id, answer)
    for rule in triage.all_rules() + ("no_flags", "kept:previous", triage.MEDICINE_OVERDOSE):
        assert summary.rule_words(rule), rule
    words = summary.wording()
    assert set(words["levels"]) == set(triage.LADDER)
    assert set(triage.FLAG_LEVEL) <= set(words["flags"])


def test_the_text_holds_what_was_said_the_advice_its_rules_and_the_safety_net():
    text = summary.as_text(parts())
    for expected in ("02 December 2026, 12:00", "ABCD-EFGH", "Severe: stops daily activities",
                     "More than 6 weeks", "Down one leg", "50 to 69", "Not sure", "Pregnant",
                     "\u201cstabbing pain\u201d", "\u201cleft\u201d", "\u201c3 weeks\u201d",
                     "See a GP or physio", "[severe]", "[over_50]", "Call 999",
                     triage.RULES_VERSION, "provisional", "09 December 2026"):
        assert expected in text, expected
    # Only what was said: no question that was not answered, no diagnosis words.
    assert "Fever, high temperature" in text and "Cancer ever" not in text
    assert "strain" not in text.lower() and "sciatica" not in text.lower()


def test_every_level_renders_in_every_region_without_a_placeholder_left():
    for code in settings.REGIONS:
        for level in triage.LADDER:
            facts = {**FACTS, "disposition": level,
                     "region": settings.region_slots({"REGION": code})}
            text = summary.as_text(parts(facts))
            assert "{" not in text, (code, level)


def test_unknown_facts_are_an_error_not_a_silent_gap():
    with pytest.raises(summary.SummaryError):
        parts({**FACTS, "disposition": "panic"})
    with pytest.raises(summary.SummaryError):
        parts({**FACTS, "rules": ["made_up_rule"]})


def test_the_page_escapes_the_persons_words_and_has_a_title_headings_and_language():
    page = summary.as_html(parts(), pdf_url="/summary/t.pdf", script_url="/summary-page.js")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<html lang="en">' in page
    assert "<title>Back pain check: a summary for your clinician</title>" in page
    assert page.count("<h2") == len(parts()) and "<h1>" in page
    assert 'href="/summary/t.pdf"' in page and "onclick" not in page


def test_the_pdf_is_real_text_with_title_language_outline_and_tags():
    reader = PdfReader(io.BytesIO(summary.as_pdf(parts())))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "See a GP or physio in the next few days." in text
    assert "can\u2019t feel the toilet paper" in text  # Unicode kept (embedded DejaVu font)
    root = reader.trailer["/Root"]
    assert reader.metadata.title == summary.wording()["title"]
    assert root["/Lang"] == "en"
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    top = reader.outline
    assert top[0]["/Title"] == summary.wording()["title"]
    assert [item["/Title"] for item in top[1]] == [section.heading for section in parts()]


def test_the_wording_file_has_no_key_that_rasa_would_train_on():
    # rasa train reads every YAML file under data/ (a top-level "rules" broke training once).
    assert not {"nlu", "rules", "stories", "responses", "intents"} & set(summary.wording())


def test_the_summary_and_check_in_settings_are_checked():
    from datetime import timedelta

    assert settings.summary_ttl({}) == timedelta(days=7)
    assert settings.summary_ttl({"SUMMARY_TTL": "12h"}) == timedelta(hours=12)
    assert settings.checkin_days("self_care", {}) == 3
    assert settings.checkin_days("see_doctor", {}) == 14
    assert settings.checkin_slots({"CHECKIN_DAYS_SELF_CARE": "5"}) == {
        "checkin_days_self_care": "5", "checkin_days_see_doctor": "14"}
    for bad in ("0", "7 days", "-1", "1y"):
        with pytest.raises(settings.ConfigurationError, match="SUMMARY_TTL"):
            settings.summary_ttl({"SUMMARY_TTL": bad})
    for bad in ("0", "2.5", "400", "soon"):
        with pytest.raises(settings.ConfigurationError, match="CHECKIN_DAYS_SELF_CARE"):
            settings.checkin_days("self_care", {"CHECKIN_DAYS_SELF_CARE": bad})
