"""Every response of the real domain (domain.yml and data/responses/, as Rasa trains them),
rendered by Rasa's own response generator with the slots that the session-start action fills
for each REGION: easy to read, one health system at a time, no guideline codes."""
import asyncio
import copy
import re
from pathlib import Path

import pytest
import textstat
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot import settings
from bot.rasa_patches.session_start import SessionStart

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = TrainingDataImporter.load_from_config(
    str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]).get_domain()

MIN_READING_EASE = 60
# Responses allowed below MIN_READING_EASE, each with its reason (none at the moment: the list
# of sources reads at 60+ too, its titles being short lines).
HARDER_TO_READ = {}
# The only response that names guidelines (the answer to "where does this come from?"); it
# names the British sources the advice rests on, whatever the health system.
SOURCES = "utter_sources"
GUIDELINE_CODE = re.compile(r"\b(?:NICE|NG\d+|CKS|GIRFT|ACP)\b")


def region_slot_values(monkeypatch, code):
    """The slots the real session start sets for this REGION."""
    monkeypatch.setenv("REGION", code)
    monkeypatch.delenv("EMERGENCY_NUMBER", raising=False)
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    events = asyncio.run(SessionStart().run(None, None, tracker, DOMAIN))
    return {e.key: e.value for e in events if isinstance(e, SlotSet)}


# Variables an action passes with the response it sends (not slots), with a typical value.
ACTION_VARIABLES = {"days_since": "3"}  # actions/checkin.py: days since the advice


def render_all(slot_values):
    """{response name: [text of each variation, with its button titles]}."""
    tracker = DialogueStateTracker.from_events(
        "someone", [SlotSet(name, value) for name, value in slot_values.items()],
        slots=DOMAIN.slots)
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    rendered = {}
    for name, variations in DOMAIN.responses.items():
        texts = []
        for variation in variations:
            filled = nlg._fill_response(copy.deepcopy(variation),
                                        {**tracker.current_slot_values(), **ACTION_VARIABLES})
            titles = [b["title"] for b in filled.get("buttons") or []]
            texts.append("\n".join([filled.get("text") or ""] + titles))
        rendered[name] = texts
    return rendered


@pytest.fixture(scope="module")
def by_region():
    with pytest.MonkeyPatch.context() as monkeypatch:
        return {code: render_all(region_slot_values(monkeypatch, code))
                for code in settings.REGIONS}


def as_sentences(text):
    """A list item or a line on its own is read as a sentence (textstat counts sentences by
    their end marks, so a bulleted list would otherwise count as one long sentence)."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:-|\d+\.)\s+", "", line).strip()
        if line:
            lines.append(line if re.search(r"[.!?:]$", line) else line + ".")
    return "\n".join(lines)


def test_every_response_is_rendered_with_every_placeholder_filled(by_region):
    for code, rendered in by_region.items():
        for name, texts in rendered.items():
            for text in texts:
                assert not re.search(r"\{\w+\}", text), f"{name} under REGION={code}: {text}"


def test_every_response_scores_at_least_60_on_flesch_reading_ease(by_region):
    hard = []
    for code, rendered in by_region.items():
        for name, texts in rendered.items():
            for text in texts:
                score = textstat.flesch_reading_ease(as_sentences(text))
                if score < MIN_READING_EASE and name not in HARDER_TO_READ:
                    hard.append(f"{name} ({code}): {score:.1f}")
    assert not hard, "responses below Flesch reading ease 60:\n" + "\n".join(sorted(set(hard)))


def test_the_exceptions_are_real_responses_that_need_it(by_region):
    for name in HARDER_TO_READ:
        assert name in DOMAIN.responses
        scores = [textstat.flesch_reading_ease(as_sentences(text))
                  for rendered in by_region.values() for text in rendered[name]]
        assert min(scores) < MIN_READING_EASE, f"{name} reads well now: drop its exception"


def terms_of_other_systems(code):
    """Names that belong to other health systems than this region's."""
    own = set(settings.REGIONS[code].own_terms)
    foreign = {term for other in settings.REGIONS.values() if other.code != code
               for term in other.own_terms} - own
    foreign |= {term for term, codes in settings.SHARED_TERMS.items() if code not in codes}
    return foreign


def mentions(text, term):
    return re.search(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", text) is not None


@pytest.mark.parametrize("code", list(settings.REGIONS))
def test_no_reply_mixes_two_health_systems(by_region, code):
    foreign = terms_of_other_systems(code)
    mixed = [f"{name}: {term!r}" for name, texts in by_region[code].items() if name != SOURCES
             for text in texts for term in sorted(foreign) if mentions(text, term)]
    assert not mixed, f"REGION={code} replies name another health system:\n" + "\n".join(mixed)


@pytest.mark.parametrize("code", list(settings.REGIONS))
def test_each_region_names_its_own_services(by_region, code):
    region = settings.REGIONS[code]
    said = "\n".join(text for texts in by_region[code].values() for text in texts)
    for name in (region.emergency_number, region.urgent_line, region.emergency_department,
                 region.family_doctor):
        assert name in said, f"REGION={code}: no reply names {name!r}"
    urgent = by_region[code]["utter_disposition_urgent"][0]
    assert region.urgent_line in urgent and region.emergency_number in urgent


def test_the_region_check_catches_a_name_written_into_a_response(by_region):
    # The same check on a reply that hard-codes the UK's names, rendered for the US.
    wrong = "Call 911, or go to A&E, or call NHS 111 and ask your GP."
    foreign = terms_of_other_systems("us")
    assert {t for t in foreign if mentions(wrong, t)} == {"A&E", "NHS", "111", "GP"}
    assert not {t for t in terms_of_other_systems("uk") if mentions("Call 999 or NHS 111.", t)}


def test_public_replies_name_no_guideline_codes(by_region):
    coded = [name for rendered in by_region.values() for name, texts in rendered.items()
             if name != SOURCES and any(GUIDELINE_CODE.search(text) for text in texts)]
    assert not coded, f"guideline codes outside utter_sources: {sorted(set(coded))}"
    assert GUIDELINE_CODE.search(by_region["eu"][SOURCES][0])  # they are behind that question


def test_with_the_action_server_down_the_reply_still_names_the_regions_services(monkeypatch):
    # bot/rasa_patches/action_failure.py fills the slots that action_session_start could not.
    from bot.rasa_patches import action_failure

    monkeypatch.setenv("REGION", "uk")
    monkeypatch.delenv("EMERGENCY_NUMBER", raising=False)
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    action_failure._fill_region_slots(tracker, DOMAIN)
    reply = TemplatedNaturalLanguageGenerator(DOMAIN.responses).generate_from_slots(
        action_failure.SERVICE_PROBLEM_RESPONSE, tracker.current_slot_values(), "rest")["text"]
    assert "call 999" in reply and "your GP or NHS 111" in reply, reply
