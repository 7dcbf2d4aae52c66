"""Where the NLU's time goes: ms per typed message for each node of the trained model's graph.

    .venv/bin/python -m scripts.bench.nlu_nodes [--model models/triage.tar.gz] [--rounds 5]
                                                [--rasa-selector] [--rasa-runner]

Parses the typed turns of the simulated users (scripts/bench/conversations.py, buttons left
out: Rasa reads those without the NLU) in-process with Rasa's Agent and times every graph node.
`--rasa-selector` runs Rasa's own response selector on every message instead of ours, which
skips it when its choice cannot be read (bot/rasa_patches/speedups.py, 6.), for a before/after.
`--rasa-runner` runs the graph with Rasa's own dask runner instead of ours (speedups, 9.).
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import time

from scripts.bench.conversations import OURS


def typed_turns():
    return [turn for conversation in OURS for turn in conversation.turns
            if not turn.startswith("/")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/triage.tar.gz")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rasa-selector", action="store_true")
    parser.add_argument("--rasa-runner", action="store_true")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.engine.graph import GraphNode

    agent = Agent.load(args.model)
    if args.rasa_runner:
        from rasa.engine.runner.dask import DaskGraphRunner

        DaskGraphRunner.run = DaskGraphRunner._rasa_run
    if args.rasa_selector:
        from rasa.nlu.selectors.response_selector import ResponseSelector

        # Each graph node holds the function it calls since the model was loaded.
        for node in agent.processor.graph_runner._instantiated_nodes.values():
            if issubclass(node._component_class, ResponseSelector) and node._fn_name == "process":
                node._fn = ResponseSelector._rasa_process
    texts = typed_turns()

    async def parse_all():
        for text in texts:
            await agent.parse_message(text)

    asyncio.run(parse_all())  # warm up
    table = collections.defaultdict(float)
    rasa_call = GraphNode.__call__

    def timed(self, *args_, **kwargs):
        start = time.perf_counter()
        try:
            return rasa_call(self, *args_, **kwargs)
        finally:
            table[self._node_name] += time.perf_counter() - start

    GraphNode.__call__ = timed
    start = time.perf_counter()
    for _ in range(args.rounds):
        asyncio.run(parse_all())
    total = time.perf_counter() - start
    per = args.rounds * len(texts)
    nodes = {name: round(seconds / per * 1000, 2)
             for name, seconds in sorted(table.items(), key=lambda item: -item[1])
             if seconds / per * 1000 >= 0.05}
    print(json.dumps({"messages": len(texts), "rounds": args.rounds,
                      "rasa_selector": args.rasa_selector, "rasa_runner": args.rasa_runner,
                      "ms_per_message": round(total / per * 1000, 2), "nodes_ms": nodes}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
