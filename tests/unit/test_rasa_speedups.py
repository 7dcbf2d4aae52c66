"""The shortcuts of bot/rasa_patches/speedups.py give the answers Rasa's own code gives."""
import asyncio
import copy

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events as rasa_events
from rasa.shared.utils.common import all_subclasses

from bot.rasa_patches import speedups

speedups.install()
SCHEMA = RemoteAction.action_response_format_spec()


def sample_events():
    """One event of each kind an action can return, as the action server sends them."""
    user = rasa_events.UserUttered(
        "my back hurts", {"name": "report_symptom", "confidence": 0.9},
        [{"entity": "symptom", "value": "pain", "start": 8, "end": 13}])
    made = [user, rasa_events.ActionExecuted("action_listen"),
            rasa_events.SlotSet("flags", ["both_legs"]), rasa_events.SlotSet("severity", None),
            rasa_events.BotUttered("hello", {"buttons": [{"title": "No", "payload": "/deny"}]}),
            rasa_events.ActiveLoop("triage_form"), rasa_events.ActiveLoop(None),
            rasa_events.ActionExecutionRejected("triage_form"), rasa_events.LoopInterrupted(True),
            rasa_events.FollowupAction("action_give_disposition"), rasa_events.Restarted(),
            rasa_events.AllSlotsReset(), rasa_events.SessionStarted(),
            rasa_events.ConversationPaused(), rasa_events.ConversationResumed(),
            rasa_events.UserUtteranceReverted(), rasa_events.ActionReverted(),
            rasa_events.StoryExported(), rasa_events.EntitiesAdded([{"entity": "side",
                                                                     "value": "left"}])]
    return [event.as_dict() for event in made]


def variants(reply):
    """The reply itself, then every one-field change of it to a value of the wrong type."""
    yield reply
    for index, event in enumerate(reply["events"]):
        for key in list(event) + ["event"]:
            for wrong in (3, "x", None, [], {}, 1.5, True):
                changed = copy.deepcopy(reply)
                changed["events"][index][key] = wrong
                yield changed
        without = copy.deepcopy(reply)
        without["events"][index].pop("event")
        yield without
    yield {"events": "not a list"}
    yield {"events": [7]}
    yield {"responses": [{"text": "hi"}], "events": []}
    yield {"responses": "no"}
    yield []


def test_checking_one_event_shape_agrees_with_checking_all_of_them():
    fast = speedups._event_type_dispatching_check(SCHEMA)
    assert fast is not None, "Rasa's reply schema changed: the shortcut no longer applies"
    full = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    reply = {"events": sample_events(), "responses": [{"text": "hi", "buttons": []}]}
    assert full.is_valid(reply)
    checked = 0
    for candidate in variants(reply):
        assert fast(candidate) == full.is_valid(candidate), candidate
        checked += 1
    assert checked > 500


def test_an_invalid_reply_is_still_rejected_with_rasas_explanation():
    remote = RemoteAction("validate_triage_form", None)
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        remote._validate_action_result({"events": [{"event": "slot", "name": 3}]})
    assert remote._validate_action_result({"events": sample_events()}) is True


def test_event_classes_are_found_as_rasa_finds_them():
    assert rasa_events.Event.resolve_by_type.__module__ == speedups.__name__  # installed
    for cls in all_subclasses(rasa_events.Event):
        assert rasa_events.Event.resolve_by_type(cls.type_name) is not None
        assert rasa_events.Event.resolve_by_type(cls.type_name).type_name == cls.type_name
    with pytest.raises(ValueError):
        rasa_events.Event.resolve_by_type("no_such_event")
    assert rasa_events.Event.resolve_by_type("no_such_event", rasa_events.SlotSet) \
        is rasa_events.SlotSet


def test_sparse_features_are_joined_exactly_as_scipy_joins_them():
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    assert Features._combine_sparse_features.__module__ == speedups.__name__  # installed
    rng = np.random.default_rng(7)
    for trial in range(200):
        rows = int(rng.integers(1, 12))
        left = scipy.sparse.random(rows, int(rng.integers(1, 3000)), density=0.02,
                                   random_state=trial, format="csr" if trial % 2 else "coo")
        right = scipy.sparse.random(rows, int(rng.integers(1, 400)), density=0.05,
                                    random_state=trial + 1, format="coo")
        if trial % 3 == 0:
            right = right.astype(np.float32)
        expected = scipy.sparse.hstack([left, right])
        joined = Features(left, "sequence", "text", "a")
        joined.combine_with_features(Features(right, "sequence", "text", "b"))
        got = joined.features
        assert (got.format, got.shape, got.dtype) == (expected.format, expected.shape,
                                                      expected.dtype)
        assert (got.row == expected.row).all() and (got.col == expected.col).all()
        assert (got.data == expected.data).all()
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        Features(scipy.sparse.coo_matrix((2, 3)), "sequence", "text", "a").combine_with_features(
            Features(scipy.sparse.coo_matrix((3, 3)), "sequence", "text", "b"))


# --- 5. one kept session per endpoint ---------------------------------------------------

def test_rasa_still_opens_a_session_per_request_through_session():
    """What the kept session relies on: Rasa's request gets its session from `self.session()`
    and enters it with `async with` (an upgrade that changes this must fail here)."""
    import inspect

    from rasa.utils.endpoints import EndpointConfig

    source = inspect.getsource(EndpointConfig._rasa_request)
    assert "async with self.session() as session:" in source


def on_a_local_webhook(handler, calls):
    """Runs `calls(endpoint)` against an aiohttp server on 127.0.0.1 whose POST /webhook is
    `handler`, with an EndpointConfig pointing at it; the server stops afterwards."""
    from rasa.utils.endpoints import EndpointConfig

    from scripts.bench.endpoint_sessions import local_webhook

    async def scenario():
        async with local_webhook(handler) as url:
            return await calls(EndpointConfig(url))

    return asyncio.run(scenario())


def peer_port(request) -> int:
    return request.transport.get_extra_info("peername")[1]


def test_calls_to_an_endpoint_reuse_one_connection_and_get_rasa_s_answers():
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    peers = []

    async def handler(request):
        peers.append(peer_port(request))
        return web.json_response({"echo": await request.json(), "events": []})

    async def calls(endpoint):
        answers = [await endpoint.request(json={"n": n}) for n in range(5)]
        return answers, await EndpointConfig._rasa_request(endpoint, json={"n": 9})

    answers, reference = on_a_local_webhook(handler, calls)
    assert answers == [{"echo": {"n": n}, "events": []} for n in range(5)]
    assert reference == {"echo": {"n": 9}, "events": []}  # Rasa's own request, same answer
    assert len(set(peers[:5])) == 1  # five calls, one connection
    assert peers[5] != peers[0]  # Rasa's own opens its own


def test_the_body_written_by_ujson_is_the_document_rasa_would_send():
    """A real conversation's tracker state (floats, non-ASCII text, slashes, nested events)
    reaches the action server as the same JSON document, with Rasa's content type."""
    import json

    from aiohttp import web
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    from bot.rasa_patches.speedups import encode_json

    tracker = DialogueStateTracker.from_events("rest:caf\u00e9/1", [
        ActionExecuted("action_listen", timestamp=1764700000.123456789),
        UserUttered("my back hurts \u2019 since leg day / 3 days \U0001F62C",
                    {"name": "report_symptom", "confidence": 0.9234567891234567},
                    [{"entity": "duration", "value": "3 days", "start": 0, "end": 6}]),
        SlotSet("pain_score", 7.5), SlotSet("flags", ["both_legs"])], [])
    state = tracker.current_state(EventVerbosity.ALL)
    assert json.loads(encode_json(state)) == state
    assert encode_json(state) == json.dumps(state, separators=(",", ":")).encode()
    received = []

    async def handler(request):
        received.append((request.content_type, await request.read()))
        return web.json_response({"events": []})

    async def calls(endpoint):
        return await endpoint.request(json={"tracker": state, "next_action": "x"})

    assert on_a_local_webhook(handler, calls) == {"events": []}
    content_type, body = received[0]
    assert content_type == "application/json"
    assert json.loads(body) == {"tracker": state, "next_action": "x"}


def test_a_connection_the_server_closed_is_replaced_once_then_errors_are_rasa_s():
    import aiohttp
    from aiohttp import web

    seen = []

    async def handler(request):
        seen.append(peer_port(request))
        if len(seen) in (2, 4, 5):
            request.transport.close()  # dropped before any answer
            return web.Response()
        return web.json_response({"n": len(seen)})

    async def calls(endpoint):
        first = await endpoint.request(json={})
        second = await endpoint.request(json={})  # dropped once, sent again
        with pytest.raises(aiohttp.ClientError):
            await endpoint.request(json={})  # dropped twice: Rasa's error
        return first, second

    assert on_a_local_webhook(handler, calls) == ({"n": 1}, {"n": 3})
    assert len(seen) == 5


# --- 6. the response selector only when its choice can be read ---------------------------

def test_the_gated_selector_keeps_the_type_hints_rasa_validates_before_training():
    """Rasa refuses to train or load a model whose component functions lack type hints
    (rasa.engine.validation): the gated `process` must carry Rasa's own."""
    import typing

    from rasa.engine.validation import _validate_run_fn
    from rasa.nlu.selectors.response_selector import ResponseSelector

    assert typing.get_type_hints(ResponseSelector.process) == \
        typing.get_type_hints(ResponseSelector._rasa_process)
    assert callable(_validate_run_fn)  # the check this relies on is still there


def conversation_states():
    """The states of every story and rule of the project, as RulePolicy sees a conversation
    at each step of it (Rasa's own tracker generation and featurizer)."""
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config("config.yml", "domain.yml", ["data"])
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain,
                                     augmentation_factor=0).generate()
    for tracker in trackers:
        states = domain.states_for_tracker_history(tracker)
        MaxHistoryTrackerFeaturizer._remove_user_text_if_intent([states])  # as for prediction
        for end in range(1, len(states) + 1):
            yield states[:end]


def test_rules_that_apply_are_found_as_rule_policy_finds_them():
    """The trained model's rules against every prefix of every story and rule (8.)."""
    import json
    import tarfile
    from pathlib import Path

    from rasa.core.policies.rule_policy import RulePolicy

    assert RulePolicy._get_possible_keys is speedups.possible_rule_keys
    with tarfile.open(Path("models/triage.tar.gz")) as archive:
        member = next(m for m in archive.getmembers()
                      if m.name.endswith("RulePolicy0/rule_policy.json"))
        lookups = json.load(archive.extractfile(member))["lookup"]
    policy = RulePolicy.__new__(RulePolicy)  # the two methods read no instance state
    compared = found = 0
    for states in conversation_states():
        for lookup in (lookups["rules"], lookups["rules_for_loop_unhappy_path"]):
            ours = speedups.possible_rule_keys(policy, lookup, states)
            assert ours == RulePolicy._rasa_get_possible_keys(policy, lookup, states)
            compared += 1
            found += bool(ours)
    # a real comparison: many prefixes, rules found for a good part of them
    assert compared > 1000 and found > compared / 10, (compared, found)


def test_graphs_are_evaluated_as_dask_evaluates_them():
    """9.: the same values, every node called once, literals and inputs as dask reads them."""
    import dask
    from dask.optimization import cull

    calls = []

    def node(name):
        def call(*args):
            calls.append(name)
            return (name, args)
        return call

    graph = {"a": (node("a"),), "b": (node("b"), "a", "literal"), "c": (node("c"), "a", "b"),
             "d": (node("d"), "c", "b", "a"), "input": ("input", {"text": "hi"}),
             "e": (node("e"), "input", "d"), "unused": (node("unused"), "a")}
    for targets in (["e"], ["d", "b"], ["a"], ["e", "c"]):
        calls.clear()
        ours = speedups.evaluate(graph, targets)
        assert len(calls) == len(set(calls))
        called = set(calls)
        calls.clear()
        # Rasa gives dask the graph pruned to the targets' needs (minimal_graph_schema)
        assert ours == list(dask.get(cull(graph, targets)[0], targets))
        assert called == set(calls) and "unused" not in called

    def broken():
        raise ValueError("from a node")

    with pytest.raises(ValueError, match="from a node"):
        speedups.evaluate({"x": (broken,), "y": (node("y"), "x")}, ["y"])


def test_rasa_still_runs_its_graphs_with_dask_on_the_graph_it_builds():
    """What 9. relies on in DaskGraphRunner.run: the pruned schema, the graph built from it
    with the inputs added, and dask.get on that graph (a newer Rasa that runs graphs
    otherwise fails here, and its runner must be read again)."""
    import inspect

    from rasa.engine.runner.dask import DaskGraphRunner

    assert DaskGraphRunner.run is speedups.run_graph
    source = inspect.getsource(DaskGraphRunner._rasa_run)
    for part in ("minimal_graph_schema(run_targets)", "self._build_dask_graph(minimal_schema)",
                 "self._add_inputs_to_graph(inputs, run_graph)",
                 "dask.get(run_graph, run_targets)", "return dict(dask_result)",
                 "except RuntimeError"):
        assert part in source, part
