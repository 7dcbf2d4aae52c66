"""Costs of Rasa 3.6 that this bot paid on every message, removed (measured by make bench;
the figures are in-process ms per message, scripts/bench/inprocess.py).

1. Rasa checks every reply of the action server with `jsonschema.validate()`, which first
   re-checks the schema itself against its meta-schema (about 20 ms a call), then tries each
   event against all twenty-odd event shapes. Validators built once, one per event shape,
   give the same answer in 0.08 ms instead of 19 ms (scripts/bench/micro.py;
   tests/unit/test_rasa_speedups.py compares the answers). A reply
   that fails goes to Rasa's own check, so the error and its message are Rasa's.
2. Rasa finds an event's class by walking all subclasses of Event for every event it reads;
   a table filled on first use answers at once.
3. (Gone.) A custom slot mapping's action was called over HTTP after every message, and this
   patch skipped it for messages without the entities it read. The mapping itself is gone:
   validate_triage_form keeps the red flags and symptoms in their slots (actions/slots.py,
   Findings), which saves the call on the turns that have those entities too.
4. Rasa joins the sparse features of the featurizers with scipy's general `hstack`, ten
   times per typed message; putting the entries of two matrices one after the other is
   the same matrix, 0.034 ms a join instead of 0.118 (scripts/bench/micro.py).
5. Rasa opens a new HTTP client session, and so a new connection, for every call to the
   action server (`EndpointConfig.request`: `async with self.session()`); one session kept
   per endpoint and event loop reuses its connections: 0.78-0.87 ms a call before, 0.37-0.39
   ms after (`python -m scripts.bench.endpoint_sessions`, a local webhook, 300 calls each). A call that
   meets a connection the server had just closed (its keep-alive ran out) is sent once more
   on a fresh one; nothing was read by the server then. Any other error is Rasa's.
   The request's JSON body (the whole conversation, for every custom action) is written by
   ujson, which Rasa and Sanic already depend on, instead of the standard library's encoder:
   the same JSON document (tests/unit/test_rasa_speedups.py), about a third of the time.
6. The response selector (a second neural network beside DIET when this was written; a
   linear selector of ours since 2026-12-03, which inherits this) ranks the FAQ and
   technique answers for every typed message, though its choice is read only when the intent
   is one of those retrieval intents: it now runs when a retrieval intent is the intent
   classifier's first or second choice (the safety net can only move a message to the second, when it sets a red flag
   aside), and is skipped otherwise ("no", "7 out of 10", "my back hurts"): 7.97 ms of
   11.05 + 7.97 for the two networks, on the loaded machine (scripts/bench note below).
7. Rasa runs every message through the whole NLU pipeline, a button's payload too
   ("/inform{\"severity\":\"mild\"}"), although the last node, RegexMessageHandler, then
   replaces everything the pipeline found with a new message built from the payload alone:
   spaCy, the entity patterns, ConText, the learned detector and DIET for nothing, on most
   turns of a triage (they are button presses). A payload that RegexMessageHandler unpacks
   goes to it directly; anything else (typed text, a "/" it cannot unpack) runs the graph as
   before. `python -m scripts.bench.micro` times both on the bench's payloads;
   tests/integration/test_response_selection.py compares both on the trained model.
8. RulePolicy finds the rules that apply by walking the whole conversation backwards, state
   by state, and testing every rule still in the running against each state
   (`_get_possible_keys`), although a rule (at most 5 states here) that the walk has gone
   past is kept without a test (`_is_rule_applicable` answers True once the turn index
   reaches the rule's length). The walk now stops when no rule in the running is longer
   than the states walked, and rules already past their length are kept without the call:
   the same set of rules (tests/unit/test_rasa_speedups.py compares them on the trained
   model's rules and real conversations); most of the policies' time on a long
   conversation's turns. The first step (the conversation's latest state, against all 229
   rules) only tests the rules that could match it: a rule whose last state names a
   previous action matches only after that action (`_does_rule_match_state`), so the rules
   are grouped once by that name.
9. Rasa runs a graph (the NLU's for a message, the policies' for each prediction: two to four
   runs a turn) through dask's synchronous scheduler, and for every run prunes the graph's
   schema to the targets again and builds the dask graph again; dask then orders and
   schedules the tasks. The graph is a fixed set of nodes, each called with its needs'
   outputs. A run now computes each target from its needs, depth first, every node once, the
   pruned graph kept per list of targets; inputs are added as Rasa adds them. Parsing the
   bench's typed messages: 12.2 -> 10.6 ms a message (median of seven alternating rounds,
   2026-12-03, by hand; `python -m scripts.bench.nlu_nodes [--rasa-runner]` compares them,
   with more noise than that difference in two runs of 5 rounds). An exception leaves a node as it did (GraphNode wraps it), and a
   RuntimeError becomes Rasa's GraphRunError as before.
(SQLite in WAL mode, the fifth cost measured then, is a storage setting: bot.storage.database.)

Installed once per process by bot.language.components (the model's components) and bot.storage.tracker_store.
Pinned to Rasa 3.6 (requirements.txt); tests/unit/test_rasa_speedups.py fails if a newer
Rasa changes what these shortcuts rely on.
"""
from __future__ import annotations

import jsonschema

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _check_action_replies_by_event_shape()
    _look_up_event_classes_once()
    _join_sparse_features_directly()
    _keep_endpoint_sessions()
    _select_responses_only_for_retrieval_intents()
    _unpack_payloads_without_the_pipeline()
    _stop_matching_rules_past_their_length()
    _run_graphs_without_dask()


def _check_action_replies_by_event_shape() -> None:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    check = _event_type_dispatching_check(schema) or _one_validator_check(schema)
    rasa_check = RemoteAction._validate_action_result

    def _validate_action_result(self, result) -> bool:
        if check(result):
            return True
        return rasa_check(self, result)  # rejects it, with Rasa's own explanation in the log

    RemoteAction._validate_action_result = _validate_action_result


def _one_validator_check(schema):
    # Only for a Rasa whose schema is not one `oneOf` of named shapes; the tests fail then.
    validator = jsonschema.validators.validator_for(schema)(schema)
    return validator.is_valid


def _event_type_dispatching_check(schema):
    """The same check, faster: the schema says an event is `oneOf` some twenty shapes, each
    with its own constant `event` name, so jsonschema tries every shape on every event. Only
    the shape whose name the event carries can match, so checking that one alone gives the
    same answer. None if the schema is not of that form (a newer Rasa): then every shape."""
    try:
        items = schema["properties"]["events"]["items"]
        shapes = items["oneOf"]
        names = [shape["properties"]["event"]["const"] for shape in shapes]
    except (KeyError, TypeError):
        return None
    if len(set(names)) != len(names):
        return None
    base = {key: value for key, value in items.items() if key != "oneOf"}
    make = jsonschema.validators.validator_for(schema)
    by_name = {name: make({"allOf": [base, shape]}) for name, shape in zip(names, shapes)}
    outer = make({**schema, "properties": {**schema["properties"],
                                           "events": {"type": "array"}}})

    def check(result) -> bool:
        if not outer.is_valid(result):
            return False
        for event in (result.get("events") or []) if isinstance(result, dict) else []:
            name = event.get("event") if isinstance(event, dict) else None
            validator = by_name.get(name) if isinstance(name, str) else None
            if validator is None or not validator.is_valid(event):
                return False
        return True

    return check


def _look_up_event_classes_once() -> None:
    """Rasa finds an event's class by walking every subclass of Event, checking each for
    abstract methods, for every event it reads: for each stored event when a conversation is
    loaded, and for each event an action returns. The answer never changes once found."""
    from rasa.shared.core.events import Event

    rasa_lookup = Event.resolve_by_type
    found = {}

    def resolve_by_type(type_name, default=None):
        cls = found.get(type_name)
        if cls is None:
            cls = rasa_lookup(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)


def _join_sparse_features_directly() -> None:
    """Rasa joins the sparse features of each featurizer side by side with scipy's `hstack`,
    which goes through its general block-matrix code: about 0.2 ms a join, four joins per
    classifier per message, and the same again for every training example. Joining two
    coordinate matrices is only putting their entries one after the other, the second's
    columns shifted: the same matrix, entries in the same order, same dtype."""
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    rasa_combine = Features._combine_sparse_features

    def _combine_sparse_features(self, additional_features) -> None:
        left, right = self.features, additional_features.features
        if not (scipy.sparse.issparse(left) and scipy.sparse.issparse(right)) \
                or left.shape[0] != right.shape[0]:
            return rasa_combine(self, additional_features)  # Rasa's own error or result
        self.features = hstack_coo(left, right)
        self._cached_fingerprint = None

    Features._combine_sparse_features = _combine_sparse_features


def hstack_coo(left, right):
    """scipy.sparse.hstack([left, right]) for two sparse matrices, without its generality."""
    import numpy as np
    import scipy.sparse

    left, right = left.tocoo(), right.tocoo()
    data = np.concatenate([left.data, right.data])
    rows = np.concatenate([left.row, right.row])
    cols = np.concatenate([left.col, right.col + left.shape[1]])
    return scipy.sparse.coo_matrix((data, (rows, cols)),
                                   shape=(left.shape[0], left.shape[1] + right.shape[1]))


def _keep_endpoint_sessions() -> None:
    """One aiohttp session per endpoint and event loop instead of one per request (5.)."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import EndpointConfig

    rasa_request = EndpointConfig.request
    sessions = {}

    def kept_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        key = (id(loop), self.url, repr(self.headers), repr(self.basic_auth))
        session = sessions.get(key)
        if session is None or session.closed:
            session = sessions[key] = self.session()
        return session

    class _Kept:
        """`async with` over a kept session: entered and left without closing it; a JSON
        body given as `json=` is sent as ujson's bytes (Rasa sets the content type)."""

        def __init__(self, session):
            self.session = session

        def request(self, method, url, **kwargs):
            if kwargs.get("json") is not None and kwargs.get("data") is None:
                kwargs["data"] = encode_json(kwargs.pop("json"))
            return self.session.request(method, url, **kwargs)

        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc):
            return False

    async def request(self, method="post", subpath=None, content_type="application/json",
                      compress=False, **kwargs):
        endpoint = copy_with_session(self, lambda: _Kept(kept_session(self)))
        try:
            return await rasa_request(endpoint, method, subpath, content_type, compress,
                                      **dict(kwargs))
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            # A kept connection the server closed as the request left: once more, on a
            # new connection (the closed one is dropped by the session's connector).
            return await rasa_request(endpoint, method, subpath, content_type, compress,
                                      **dict(kwargs))

    EndpointConfig.request = request
    EndpointConfig._rasa_request = rasa_request  # for the test that compares both


def encode_json(value) -> bytes:
    """The JSON document of `value` as the standard library writes it (ASCII only, "/" as
    is), by ujson."""
    import ujson

    return ujson.dumps(value, ensure_ascii=True, escape_forward_slashes=False).encode()


def copy_with_session(endpoint, make_session):
    """A shallow copy of `endpoint` whose `session()` gives `make_session()`: Rasa's own
    `request` then runs unchanged, on the kept session."""
    import copy

    clone = copy.copy(endpoint)
    clone.session = make_session
    return clone


def _select_responses_only_for_retrieval_intents() -> None:
    """The response selector runs for a message only when the intent classifier's first or second intent is a
    retrieval intent (6.); `rasa test nlu` reads a missing choice as no choice."""
    from rasa.nlu.selectors.response_selector import ResponseSelector
    from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY

    rasa_process = ResponseSelector.process
    RED_FLAG_INTENT = "report_red_flag"

    def process(self, messages):
        retrieval = set(self.all_retrieval_intents)
        if self.retrieval_intent:
            retrieval = {self.retrieval_intent}
        wanted = [m for m in messages if may_need_a_response(m, retrieval)]
        if wanted:
            rasa_process(self, wanted)
        return messages

    def may_need_a_response(message, retrieval) -> bool:
        if not retrieval:
            return True  # nothing known about the data: Rasa's behaviour
        top = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        ranking = [r.get(INTENT_NAME_KEY) for r in message.get(INTENT_RANKING_KEY) or []]
        # The safety net moves a message to the classifier's second intent only when it sets a red
        # flag aside (bot.language.components.safety_net._demote).
        second = ranking[1] if len(ranking) > 1 else None
        return top in retrieval or (top == RED_FLAG_INTENT and second in retrieval)

    # Rasa validates each component's run function by its type hints before it trains or
    # loads a model: the same hints as its own, as objects (this module's annotations are
    # strings that Rasa would resolve in the wrong namespace).
    from typing import List

    from rasa.shared.nlu.training_data.message import Message

    process.__annotations__ = {"messages": List[Message], "return": List[Message]}
    ResponseSelector.process = process
    ResponseSelector._rasa_process = rasa_process


def _unpack_payloads_without_the_pipeline() -> None:
    """A button's payload parsed by RegexMessageHandler alone, not the whole NLU graph (7.)."""
    from rasa.core.processor import MessageProcessor

    rasa_parse = MessageProcessor._parse_message_with_graph

    def _parse_message_with_graph(self, message, tracker, only_output_properties=True):
        parse_data = unpacked_payload(message, self.domain, only_output_properties)
        if parse_data is None:
            return rasa_parse(self, message, tracker, only_output_properties)
        return parse_data

    MessageProcessor._parse_message_with_graph = _parse_message_with_graph
    MessageProcessor._rasa_parse_message_with_graph = rasa_parse  # for the test


def unpacked_payload(message, domain, only_output_properties=True):
    """What the graph's last node makes of a "/intent{...}" payload, or None for a message it
    would leave to the pipeline (the same parse data as MessageProcessor builds from it)."""
    from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
    from rasa.shared.constants import INTENT_MESSAGE_PREFIX
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
    from rasa.shared.nlu.constants import PREDICTED_CONFIDENCE_KEY
    from rasa.shared.nlu.training_data.message import Message

    text = message.text or ""
    if not text.strip().startswith(INTENT_MESSAGE_PREFIX):
        return None
    before = Message(data={TEXT: text, "message_id": message.message_id,
                           "metadata": message.metadata})
    after = RegexMessageHandler().process([before], domain)[0]
    if after is before:
        return None  # not a payload it can read: the pipeline reads the text
    parse_data = {TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
                  ENTITIES: []}
    parse_data.update(after.as_dict(only_output_properties=only_output_properties))
    return parse_data


def _stop_matching_rules_past_their_length() -> None:
    """RulePolicy's candidate rules, without walking past the longest of them (8.)."""
    from rasa.core.policies.rule_policy import RulePolicy

    RulePolicy._rasa_get_possible_keys = RulePolicy._get_possible_keys  # for the test
    RulePolicy._get_possible_keys = possible_rule_keys


def possible_rule_keys(policy, lookup, states):
    """RulePolicy._get_possible_keys: the rules of `lookup` that match the end of `states`."""
    length = policy._rule_key_to_state  # json.loads of the key, cached by Rasa
    possible = set(lookup.keys())
    for index, state in enumerate(reversed(states)):
        if not any(len(length(key)) > index for key in possible):
            break  # every rule left is shorter than the states walked: each would pass
        if index == 0:
            possible = rules_after_action(policy, lookup, state)
        possible = {key for key in possible
                    if len(length(key)) <= index
                    or policy._is_rule_applicable(key, index, state)}
    return possible


_RULES_BY_LAST_ACTION: dict = {}


def rules_after_action(policy, lookup, state) -> set:
    """The rules of `lookup` whose last state can match `state`: those whose last state names
    the previous action `state` names, and those whose last state names none."""
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
    from rasa.shared.nlu.constants import ACTION_NAME

    def action_of(a_state):
        name = (a_state.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
        return name if isinstance(name, str) and name and name != SHOULD_NOT_BE_SET else None

    cached = _RULES_BY_LAST_ACTION.get(id(lookup))
    if cached is None or cached[0] is not lookup or cached[1] != len(lookup):
        by_action: dict = {}
        for key in lookup:
            by_action.setdefault(action_of(policy._rule_key_to_state(key)[-1]), set()).add(key)
        cached = _RULES_BY_LAST_ACTION[id(lookup)] = (lookup, len(lookup), by_action)
    by_action = cached[2]
    return by_action.get(None, set()) | by_action.get(action_of(state), set())


def _run_graphs_without_dask() -> None:
    """DaskGraphRunner.run, without dask (9.)."""
    from rasa.engine.runner.dask import DaskGraphRunner

    DaskGraphRunner._rasa_run = DaskGraphRunner.run  # for the test
    DaskGraphRunner.run = run_graph


def run_graph(runner, inputs=None, targets=None):
    """DaskGraphRunner.run: the outputs of `targets` (default: the schema's), as a dict."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = list(targets) if targets else runner._graph_schema.target_names
    kept = runner.__dict__.setdefault("_graphs_by_targets", {})
    graph = kept.get(tuple(run_targets))
    if graph is None:
        graph = runner._build_dask_graph(
            runner._graph_schema.minimal_graph_schema(run_targets))
        kept[tuple(run_targets)] = graph
    graph = dict(graph)
    if inputs:
        runner._add_inputs_to_graph(inputs, graph)
    try:
        return dict(evaluate(graph, run_targets))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error


def evaluate(graph: dict, targets) -> list:
    """Dask's semantics for graphs of this form: a task is a tuple whose first item is
    callable, called with the values of the items that follow (an item that names a key
    stands for that key's value, anything else for itself); a key holding anything else
    holds a value."""
    done: dict = {}

    def argument(item):
        return value(item) if isinstance(item, str) and item in graph else item

    def value(key):
        if key in done:
            return done[key]
        task = graph[key]
        if isinstance(task, tuple) and task and callable(task[0]):
            result = task[0](*[argument(item) for item in task[1:]])
        else:
            result = task
        done[key] = result
        return result

    return [value(target) for target in targets]

