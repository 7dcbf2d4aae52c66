"""Two hooks into the Rasa server that Rasa 3.6 does not offer: extra routes on its web
app, and a look at every finished turn. Used by bot.operations for /health and /metrics.

Rasa 3.6 builds its Sanic app inside `rasa.core.run.serve_application` (through the module
function `configure_app`) and gives no hook to add routes to it: `rasa.plugin`'s hooks do
not include one, and a channel's blueprint is mounted under /webhooks/<name>/. So:

- `on_app(extend)`: wraps `rasa.core.run.configure_app`, which `serve_application` looks
  up as a module global when it runs; `extend(app)` gets the app before it starts, to add
  routes and middleware. Nothing else of the app is touched.
- `on_turn(observe)`: wraps `Agent.handle_message`, the one place every channel's message
  goes through (it takes the conversation's lock and runs the processor). `observe` gets
  the message, the seconds the turn took (the lock's wait included: what the person
  waits for), the tracker the turn saved (read back from `MessageProcessor.save_tracker`
  through a context variable, never reloaded) or None, and the exception if it raised.
  `observe` must be cheap and must not raise; what it raises is logged and swallowed.

- `limit_turns(n)`: at most n turns processed at once in this server (the wrapper of
  `MessageProcessor.handle_message`, inside the conversation's lock, so that a message
  waiting for its conversation holds no place); the others wait in line, first come first
  served. Without it, every turn that calls the action server went back to the end of the
  event loop's queue after each call, behind every other turn in flight: at 32 people the
  p95 was 2.6x the median (810 against 314 ms); with 4 at once 347 against 262 ms, and
  more messages a second (116 against 89), in a `make bench` pair of 2026-12-04
  (docs/benchmarks-notes.md, "Session 15"). `turns_now()` says how many turns are processed
  and how many wait at this moment (bot.operations exports both as gauges).

Pinned to Rasa 3.6.x: `install` refuses other versions, and tests/unit/test_server_hooks.py
fails when `serve_application` stops calling `configure_app`, or when `handle_message` or
`save_tracker` change signature.
"""
from __future__ import annotations

import contextvars
import logging
import time
from typing import Any, Callable, List, Optional, Tuple

logger = logging.getLogger(__name__)

_app_extensions: List[Callable] = []
_turn_limit: dict = {"semaphore": None}
_turns = {"in_progress": 0, "waiting": 0}  # processed now, waiting for a place (turns_now)
_turn_observers: List[Callable] = []
_saved = contextvars.ContextVar("bot_turn_saved_tracker", default=None)
_installed = False
ORIGINALS: dict = {}  # what was wrapped, for the tests that pin Rasa's behaviour


def on_app(extend: Callable[[Any], None]) -> None:
    install()
    if extend not in _app_extensions:
        _app_extensions.append(extend)


def on_turn(observe: Callable[[Any, float, Optional[Any], Optional[BaseException]], None]) -> None:
    install()
    if observe not in _turn_observers:
        _turn_observers.append(observe)


def install() -> None:
    global _installed
    if _installed:
        return
    import rasa
    import rasa.core.run
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    if not rasa.__version__.startswith("3.6."):
        raise RuntimeError(f"bot.rasa_patches.server_hooks is written for Rasa 3.6, "
                           f"not {rasa.__version__}")
    configure_app = ORIGINALS["configure_app"] = rasa.core.run.configure_app

    def configure_app_with_extensions(*args, **kwargs):
        app = configure_app(*args, **kwargs)
        for extend in _app_extensions:
            extend(app)
        return app

    rasa.core.run.configure_app = configure_app_with_extensions

    save_tracker = ORIGINALS["save_tracker"] = MessageProcessor.save_tracker

    async def save_tracker_noted(self, tracker):
        await save_tracker(self, tracker)
        holder = _saved.get()
        if holder is not None:
            holder.append(tracker)

    MessageProcessor.save_tracker = save_tracker_noted

    handle_message = ORIGINALS["handle_message"] = Agent.handle_message

    async def handle_message_observed(self, message):
        holder: list = []
        token = _saved.set(holder)
        start = time.perf_counter()
        error = None
        try:
            return await handle_message(self, message)
        except BaseException as raised:
            error = raised
            raise
        finally:
            _saved.reset(token)
            elapsed = time.perf_counter() - start
            for observe in _turn_observers:
                try:
                    observe(message, elapsed, holder[-1] if holder else None, error)
                except Exception:  # noqa: BLE001 - observing must never break a turn
                    logger.exception("A turn observer failed.")

    Agent.handle_message = handle_message_observed

    ORIGINALS["process_message"] = MessageProcessor.handle_message

    async def handle_message_admitted(self, message):
        semaphore = _turn_limit["semaphore"]
        if semaphore is not None:
            _turns["waiting"] += 1
            try:
                await semaphore.acquire()
            finally:
                _turns["waiting"] -= 1
        _turns["in_progress"] += 1
        try:
            return await ORIGINALS["process_message"](self, message)
        finally:
            _turns["in_progress"] -= 1
            if semaphore is not None:
                semaphore.release()

    MessageProcessor.handle_message = handle_message_admitted
    _installed = True


def limit_turns(at_once: int) -> None:
    """At most `at_once` turns processed at a time (0: no limit); the others wait in line."""
    import asyncio

    if at_once < 0:
        raise ValueError("the number of turns at once must be 0 (no limit) or more")
    install()
    _turn_limit["semaphore"] = asyncio.Semaphore(at_once) if at_once > 0 else None


def turns_now() -> Tuple[int, int]:
    """(turns being processed, turns waiting for a place) in this server, at this moment."""
    return _turns["in_progress"], _turns["waiting"]
