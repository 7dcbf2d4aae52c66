"""Where the time of one message goes, in-process (no HTTP in front of the Rasa server).

    .venv/bin/python -m scripts.bench.inprocess --model M --endpoints E [--rounds 2] [--bot ours]

Loads the model with Rasa's Agent and the given endpoints (action server, tracker store), runs
the simulated users' conversations through `agent.handle_text`, and times each stage of
Rasa's message processor: the tracker store (load and save), NLU, slot extraction, the
policies' prediction and the actions (of which: custom actions over HTTP to the action
server). Prints one JSON object: mean ms per message, the size of the action calls' bodies,
the mean ms of one call and of its HTTP request, and the ten slowest turns with their stages
and the custom actions each called.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import time
import uuid
from collections import defaultdict

from scripts.bench.conversations import OURS, STOCK

STAGES = ("tracker_store_load", "nlu", "slot_extraction", "policies", "actions",
          "tracker_store_save")


def timed(table, name, function):
    if asyncio.iscoroutinefunction(function):
        @functools.wraps(function)
        async def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                table[name] += time.perf_counter() - start
    else:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                table[name] += time.perf_counter() - start
    return wrapper


def quiet() -> None:
    """Rasa's server logs at INFO: no debug records (structlog's included) in the timings."""
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


async def measure(model: str, endpoints_path: str, conversations, rounds: int) -> dict:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(endpoints_path) if endpoints_path \
        else AvailableEndpoints()
    agent = await load_agent(model_path=model, endpoints=endpoints)
    quiet()
    table = defaultdict(float)
    processor = agent.processor
    store = processor.tracker_store
    store.retrieve = timed(table, "tracker_store_load", store.retrieve)
    store.save = timed(table, "tracker_store_save", store.save)
    processor.parse_message = timed(table, "nlu", processor.parse_message)
    processor.run_action_extract_slots = timed(table, "slot_extraction",
                                               processor.run_action_extract_slots)
    processor.predict_next_with_tracker_if_should = timed(
        table, "policies", processor.predict_next_with_tracker_if_should)
    processor._run_action = timed(table, "actions", processor._run_action)
    RemoteAction.run = timed(table, "custom_actions_http", RemoteAction.run)
    # Of each call: the HTTP request itself (the action server's work and both processes'
    # waking included); the rest is Rasa building the body and handling the reply.
    from rasa.utils.endpoints import EndpointConfig

    EndpointConfig.request = timed(table, "action_http_request", EndpointConfig.request)

    calls = defaultdict(int)
    remote_run = RemoteAction.run

    async def counted_run(self, *args, **kwargs):
        calls[self.name()] += 1
        return await remote_run(self, *args, **kwargs)

    RemoteAction.run = counted_run
    # The bodies Rasa builds for the action server, kept as they are and sized after the
    # timing (their JSON is written once more then, outside the timed stages).
    bodies = []
    call_format = RemoteAction._action_call_format

    def kept_call_format(self, tracker, domain):
        body = call_format(self, tracker, domain)
        bodies.append(body)
        return body

    RemoteAction._action_call_format = kept_call_format
    turns = defaultdict(list)

    async def talk():
        messages = 0
        for conversation in conversations:
            sender = f"inprocess-{uuid.uuid4().hex[:8]}"
            for number, text in enumerate(conversation.turns):
                before = dict(table)
                calls.clear()
                start = time.perf_counter()
                await agent.handle_text(text, sender_id=sender)
                spent = {name: table[name] - before.get(name, 0.0) for name in STAGES}
                spent["total"] = time.perf_counter() - start
                turns[(conversation.name, number, text)].append((spent, dict(calls)))
                messages += 1
        return messages

    await talk()  # warm-up
    table.clear()
    turns.clear()
    bodies.clear()
    start = time.perf_counter()
    messages = 0
    for _ in range(rounds):
        messages += await talk()
    total = time.perf_counter() - start

    def ms(seconds):
        return round(1000 * seconds / messages, 2)

    stages = {name: ms(table[name]) for name in STAGES}
    stages["other"] = ms(total - sum(table[name] for name in STAGES))
    return {"messages": messages, "total_ms_per_message": ms(total), "stages_ms": stages,
            "of_which_custom_actions_http_ms": ms(table["custom_actions_http"]),
            "action_call_body_kb": body_sizes(bodies),
            "action_call_ms": per_call(table, len(bodies)),
            "slowest_turns": slowest(turns)}


def per_call(table, calls: int) -> dict:
    """Mean ms of one call to the action server, and of its HTTP request."""
    if not calls:
        return {"calls": 0}
    return {"calls": calls, "each": round(1000 * table["custom_actions_http"] / calls, 2),
            "http_request": round(1000 * table["action_http_request"] / calls, 2)}


def body_sizes(bodies) -> dict:
    """Calls, and the median and largest body in KB, as the JSON Rasa sends."""
    sizes = sorted(len(json.dumps(body, ensure_ascii=True)) / 1024 for body in bodies)
    if not sizes:
        return {"calls": 0}
    return {"calls": len(sizes), "median": round(sizes[len(sizes) // 2], 1),
            "max": round(sizes[-1], 1),
            "with_domain": sum(1 for body in bodies if "domain" in body)}


def slowest(turns, count: int = 10) -> list:
    """The turns that take longest (median over the rounds), each with its stages (ms) and the
    custom actions it called: where the tail of the latency comes from."""
    import statistics

    rows = []
    for (name, number, text), runs in turns.items():
        row = {"conversation": name, "turn": number, "text": text[:60]}
        for stage in ("total",) + STAGES:
            row[stage] = round(1000 * statistics.median(spent[stage] for spent, _ in runs), 2)
        row["custom_actions"] = runs[-1][1]
        rows.append(row)
    rows.sort(key=lambda row: -row["total"])
    return rows[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--endpoints", default=None)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bot", choices=("ours", "stock"), default="ours")
    args = parser.parse_args()
    conversations = OURS if args.bot == "ours" else STOCK
    result = asyncio.run(measure(args.model, args.endpoints, conversations, args.rounds))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
