"""What bot.rasa_patches.server_hooks relies on in Rasa 3.6, and what it does with it.

If a Rasa upgrade stops building its app through `rasa.core.run.configure_app`, or changes
`Agent.handle_message` / `MessageProcessor.save_tracker`, these fail before /health and
/metrics quietly disappear from the servers.
"""
import asyncio
import inspect

import pytest
import rasa
import rasa.core.run
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor

from bot.operations import health, metrics, rasa_server
from bot.rasa_patches import server_hooks


def test_rasa_builds_its_app_through_the_module_function_we_wrap():
    assert rasa.__version__.startswith("3.6.")
    source = inspect.getsource(rasa.core.run.serve_application)
    assert "app = configure_app(" in source
    # a module global, looked up when serve_application runs (so the wrapper is used)
    assert "configure_app" in rasa.core.run.serve_application.__code__.co_names


def test_the_methods_we_wrap_keep_their_signatures():
    server_hooks.install()
    assert list(inspect.signature(server_hooks.ORIGINALS["save_tracker"]).parameters) == [
        "self", "tracker"]
    original = server_hooks.ORIGINALS["handle_message"]
    assert list(inspect.signature(original).parameters) == ["self", "message"]
    assert "self.processor.handle_message" in inspect.getsource(original)
    assert "await self.save_tracker(tracker)" in inspect.getsource(
        server_hooks.ORIGINALS["process_message"])
    assert list(inspect.signature(server_hooks.ORIGINALS["process_message"]).parameters) == [
        "self", "message"]


def test_the_wrapped_app_gets_the_health_and_metrics_routes():
    rasa_server.install()
    app = rasa.core.run.configure_app(input_channels=None, enable_api=False)
    paths = {route.path for route in app.router.routes}
    assert {"health", "metrics"} <= paths


def test_a_turn_is_observed_even_when_no_model_answers():
    seen = []
    server_hooks.on_turn(lambda *args: seen.append(args))

    class NotReady:
        def is_ready(self):
            return False

    class Message:
        input_channel = "rest"
        sender_id = "rest:x"

    assert asyncio.run(Agent.handle_message(NotReady(), Message())) is None
    message, seconds, tracker, error = seen[-1]
    assert isinstance(message, Message) and seconds >= 0 and tracker is None and error is None


def test_an_observer_that_raises_never_breaks_the_turn():
    def broken(*_):
        raise RuntimeError("observer bug")

    server_hooks.on_turn(broken)
    try:
        class NotReady:
            def is_ready(self):
                return False

        class Message:
            input_channel = "socketio"

        assert asyncio.run(Agent.handle_message(NotReady(), Message())) is None
    finally:
        server_hooks._turn_observers.remove(broken)


def test_a_failing_check_makes_health_unavailable_with_the_kind_of_failure_only():
    async def fine():
        return "answers"

    async def broken():
        raise ConnectionRefusedError("postgresql://user:secret@db/x refused")

    async def slow():
        await asyncio.sleep(5)

    body, status = asyncio.run(health.run_checks({"a": fine, "b": broken, "c": slow},
                                                 timeout=0.2))
    assert status == 503 and body["status"] == "unavailable"
    assert body["checks"]["a"]["ok"] and body["checks"]["a"]["detail"] == "answers"
    assert body["checks"]["b"] == {**body["checks"]["b"], "ok": False,
                                   "detail": "failed (ConnectionRefusedError)"}
    assert "secret" not in str(body)
    assert body["checks"]["c"]["detail"].startswith("timeout")
    assert asyncio.run(health.run_checks({"a": fine}))[1] == 200


def test_labels_take_only_known_values():
    assert metrics.channel_label("rest") == "rest"
    assert metrics.channel_label("made-up; drop table") == "other"
    assert metrics.disposition_label("self_care") == "self_care"
    assert metrics.disposition_label("<script>") == "other"


@pytest.mark.parametrize("environ", [
    {}, {"TRACKER_DB_URL": "postgresql://a/b"},
    {"TRACKER_DB_URL": "postgresql://a/b", "RECORDS_DB_URL": "sqlite:///r.db"}])
def test_the_action_servers_health_checks_the_database_the_actions_use(environ):
    from bot.operations.action_server import database_url
    from bot.storage.database import database_url as actions_database

    assert database_url(environ) == actions_database(environ)


def test_rasa_processes_a_turn_inside_the_conversation_s_lock():
    """limit_turns wraps MessageProcessor.handle_message: inside Agent.handle_message's lock,
    so a message waiting for its own conversation holds no place in line."""
    source = inspect.getsource(server_hooks.ORIGINALS.get("handle_message") or Agent.handle_message)
    assert "self.lock_store.lock(" in source and "self.processor.handle_message(" in source
    assert source.index("self.lock_store.lock(") < source.index("self.processor.handle_message(")


def test_at_most_the_limit_of_turns_run_at_once_and_the_others_wait_in_line(monkeypatch):
    server_hooks.install()
    in_flight, most, started = [0], [0], []

    async def turn(processor, message):
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        started.append(message)
        await asyncio.sleep(0.01)  # a call to the action server
        await asyncio.sleep(0.01)
        in_flight[0] -= 1
        return message

    monkeypatch.setitem(server_hooks.ORIGINALS, "process_message", turn)

    async def run(limit):
        server_hooks.limit_turns(limit)
        started.clear()
        most[0] = 0
        done = await asyncio.gather(*(MessageProcessor.handle_message(None, n)
                                      for n in range(12)))
        return done, most[0], list(started)

    try:
        done, peak, order = asyncio.run(run(3))
        assert done == list(range(12)) and peak == 3 and order == list(range(12))
        assert asyncio.run(run(0))[1] == 12  # 0: no limit
    finally:
        server_hooks.limit_turns(0)
    with pytest.raises(ValueError):
        server_hooks.limit_turns(-1)


def test_a_turn_cancelled_in_line_or_in_progress_gives_its_place_back(monkeypatch):
    """A client that goes away cancels its turn: the counts go back and no place is lost."""
    server_hooks.install()
    release = None

    async def turn(processor, message):
        await release.wait()
        return message

    monkeypatch.setitem(server_hooks.ORIGINALS, "process_message", turn)

    async def run():
        nonlocal release
        release = asyncio.Event()
        server_hooks.limit_turns(1)
        first = asyncio.ensure_future(MessageProcessor.handle_message(None, 1))
        second = asyncio.ensure_future(MessageProcessor.handle_message(None, 2))
        await asyncio.sleep(0.01)
        assert server_hooks.turns_now() == (1, 1)
        second.cancel()  # gone while in line
        await asyncio.sleep(0.01)
        assert server_hooks.turns_now() == (1, 0)
        first.cancel()  # gone while processed
        await asyncio.sleep(0.01)
        assert server_hooks.turns_now() == (0, 0)
        release.set()
        assert await asyncio.wait_for(MessageProcessor.handle_message(None, 3), 1) == 3

    try:
        asyncio.run(run())
    finally:
        server_hooks.limit_turns(0)
