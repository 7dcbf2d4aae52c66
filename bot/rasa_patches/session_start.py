"""A conversation's session starts in the Rasa server, not on the action server.

What the start does (it was actions/session_start.py until 2026-12-03): the slots that must
outlive a session (a level given and its rule, red flags and symptoms: a level is never
lowered and a red flag never forgotten) are carried over, the answers of an unfinished check
are not (an old "no" to an emergency question says nothing about today); the configured
region's emergency number and services (bot.settings.region_slots) and the check-in delays
(bot.settings.checkin_slots) go into the slots the responses name as {placeholders}.

Why here: on the action server it cost every conversation's first message one more HTTP call
(about 2.5 ms on the 2-core machine, on the turns that make the 1-user latency's tail), and
when the action server was down the first reply had an empty emergency number until
action_failure.py filled it in. Rasa 3.6 builds its default actions in
`rasa.core.actions.action.default_actions` from the module's `ActionSessionStart`; domain.yml
no longer lists `action_session_start`, so Rasa takes its default, which is this subclass.
tests/unit/test_session_start.py fails if Rasa stops building it that way, and runs a
session's start on a tracker as Rasa applies it.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import rasa.core.actions.action as rasa_actions
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet

from bot import settings

# Slot names of the dialogue (actions/slots.py names them too; a test checks they agree).
CARRIED_OVER = ("disposition", "triage_rule", "flags", "symptoms")

RasaSessionStart = rasa_actions.ActionSessionStart


class SessionStart(RasaSessionStart):
    async def run(self, output_channel, nlg, tracker, domain,
                  metadata: Optional[Dict[str, Any]] = None) -> List[Event]:
        events: List[Event] = [SessionStarted()]
        for name in CARRIED_OVER:
            value = tracker.get_slot(name)
            if value is not None:
                events.append(SlotSet(name, value))
        events += [SlotSet(name, value) for name, value in settings.region_slots().items()]
        events += [SlotSet(name, value) for name, value in settings.checkin_slots().items()]
        events.append(ActionExecuted(ACTION_LISTEN_NAME))
        return events


def install() -> None:
    rasa_actions.ActionSessionStart = SessionStart
