"""A plain reply when an action cannot run (the action server is down or failing).

What Rasa 3.6 does on its own: `MessageProcessor._run_action` catches any exception of an
action ("Encountered an exception while running action ... Bot will continue, but the actions
events are lost"), logs the action with no events and goes on predicting. For this bot every
step of the triage is an action on the action server, so when it is down the person gets an
empty reply (the emergency number is in a slot set when the session starts, in the Rasa server
since 2026-12-03: bot/rasa_patches/session_start.py).

Rasa 3.6 offers no supported hook for this: the action endpoint is a plain URL (no class to
substitute), the processor and `RemoteAction` are built inside the Agent, and the plugin hooks
of `rasa.plugin` are only discovered for Rasa Plus. So this module wraps that one method,
`MessageProcessor._run_action`, and nothing else. It is installed when the server creates its
lock store (`bot.storage.lock_store.EnvironmentLockStore`, named in endpoints.yml), i.e. once, before
the first message. Pinned to Rasa 3.6.x: `install()` refuses other versions loudly, and
tests/reliability/ check the behaviour end to end.

What happens instead, when an action raises (anything but a form's validation rejection):
- the region's slots (the emergency number, the urgent line...: bot.settings.region_slots) are
  filled from REGION and EMERGENCY_NUMBER when still empty (a conversation stored before the
  session's start moved into the Rasa server);
- for `action_session_start` (no longer on the action server), nothing else: the message is
  handled as usual, and if a later action fails too the person gets the message below;
- for any other action: the person gets utter_service_problem once, the bot listens again, and the
  prediction loop stops. An active form stays active, so when the action server is back the
  person's next answer continues the triage where it stopped.
The log line says which action failed and why (no message text).
"""
from __future__ import annotations

import logging

import rasa
from rasa.core.actions.action import ActionExecutionRejection
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

from bot import settings

logger = logging.getLogger(__name__)

# The reply's wording is the project's, in domain.yml. Rasa renders it in the server itself
# (its response templates need nothing from the action server).
SERVICE_PROBLEM_RESPONSE = "utter_service_problem"
RESPONSES = [SERVICE_PROBLEM_RESPONSE]  # checked against the domain by make validate

_installed = False


def _watch(action, failures: list) -> None:
    """Record on `failures` whatever this one action instance raises (then re-raise it)."""
    run = action.run

    async def watched_run(*args, **kwargs):
        try:
            return await run(*args, **kwargs)
        except ActionExecutionRejection:
            raise  # a form rejecting an answer is normal dialogue, not a failure
        except Exception as error:  # noqa: BLE001 - the processor logs it; we only note it
            failures.append(error)
            raise

    action.run = watched_run


def _fill_region_slots(tracker, domain) -> None:
    """The region's number and names, for any of their slots still empty: the session's start
    fills them (in the Rasa server since 2026-12-03), so only a conversation whose session
    started on the action server before then, while it failed, needs this."""
    for name, value in settings.region_slots().items():
        if not tracker.get_slot(name):
            tracker.update(SlotSet(name, value), domain)


async def _reply_service_problem(processor, tracker, output_channel, nlg) -> None:
    _fill_region_slots(tracker, processor.domain)
    reply = await nlg.generate(SERVICE_PROBLEM_RESPONSE, tracker, output_channel.name())
    message = BotUttered(reply.get("text"), metadata={"utter_action": SERVICE_PROBLEM_RESPONSE})
    tracker.update(message, processor.domain)
    await output_channel.send_response(tracker.sender_id, {"text": message.text})


def install() -> None:
    """Wrap `MessageProcessor._run_action` (idempotent)."""
    global _installed
    if _installed:
        return
    if not rasa.__version__.startswith("3.6."):
        raise RuntimeError(f"bot.rasa_patches.action_failure is written for Rasa 3.6, not {rasa.__version__}")
    original = MessageProcessor._run_action

    async def _run_action(self, action, tracker, output_channel, nlg, prediction):
        failures: list = []
        _watch(action, failures)
        should_continue = await original(self, action, tracker, output_channel, nlg, prediction)
        if not failures:
            return should_continue
        name = action.name()
        if name == ACTION_SESSION_START_NAME:
            logger.error("action %s failed (%s); the emergency number comes from the "
                         "server's settings", name, type(failures[0]).__name__)
            _fill_region_slots(tracker, self.domain)
            return should_continue
        logger.error("action %s failed (%s); the person was asked to try again",
                     name, type(failures[0]).__name__)
        await _reply_service_problem(self, tracker, output_channel, nlg)
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME), self.domain)
        return False

    MessageProcessor._run_action = _run_action
    _installed = True
