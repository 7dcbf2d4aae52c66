"""bot/rasa_patches/session_start.py: a session starts in the Rasa server. What it relies on in
Rasa 3.6 (a Rasa upgrade that changes it fails here): `default_actions` builds the module's
`ActionSessionStart`, and `action_for_name_or_text` takes the default action when the domain
does not list one of that name."""
import asyncio
from pathlib import Path

import bot.language.components  # noqa: F401  (installs the patch, as loading the model does)
import rasa.core.actions.action as rasa_actions
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from actions import slots
from bot.rasa_patches.session_start import CARRIED_OVER, SessionStart

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = TrainingDataImporter.load_from_config(
    str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]).get_domain()


def test_rasa_runs_ours_for_the_session_start():
    assert ACTION_SESSION_START_NAME not in DOMAIN.user_actions
    action = rasa_actions.action_for_name_or_text(ACTION_SESSION_START_NAME, DOMAIN, None)
    assert type(action) is SessionStart
    assert isinstance(action, rasa_actions.RemoteAction) is False


def test_the_carried_over_slots_are_the_dialogues_and_in_the_domain():
    assert CARRIED_OVER == (slots.DISPOSITION, slots.TRIAGE_RULE, slots.FLAGS, slots.SYMPTOMS)
    assert set(CARRIED_OVER) <= {slot.name for slot in DOMAIN.slots}


def test_a_new_session_keeps_the_level_and_flags_and_forgets_the_answers(monkeypatch):
    monkeypatch.setenv("REGION", "uk")
    monkeypatch.delenv("EMERGENCY_NUMBER", raising=False)
    tracker = DialogueStateTracker.from_events("someone", [
        SlotSet("disposition", "urgent"), SlotSet("flags", ["fever"]),
        SlotSet("em_all", "no"), SlotSet("severity", "mild")], slots=DOMAIN.slots)
    events = asyncio.run(SessionStart().run(None, None, tracker, DOMAIN))
    assert isinstance(events[0], SessionStarted)
    assert events[-1] == ActionExecuted(ACTION_LISTEN_NAME)
    set_ = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert set_["disposition"] == "urgent" and set_["flags"] == ["fever"]
    assert "em_all" not in set_ and "severity" not in set_ and "triage_rule" not in set_
    assert set_["emergency_number"] == "999"
    assert {"checkin_days_self_care", "checkin_days_see_doctor"} <= set(set_)
    # applied as Rasa applies them: a new session with the kept slots only
    tracker.update_with_events(events, DOMAIN)
    assert tracker.get_slot("em_all") is None and tracker.get_slot("disposition") == "urgent"
