"""What the metrics cost a turn: the same conversations in one process, with and without them.

    .venv/bin/python scripts/metrics_overhead.py --endpoints E [--model M] [--rounds 6]

Loads the model with Rasa's Agent (E names an action server and a tracker store, as for
scripts.bench.inprocess), installs the hooks of bot.operations.rasa_server, and runs the
bench's conversations (scripts/bench/conversations.py, ours) alternately with the hooks and
with Rasa's own methods put back, so that the machine's drift falls on both alike; a first
round of each is a warm-up. Prints one JSON object: messages, mean and median ms per arm.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench.conversations import OURS  # noqa: E402
from scripts.bench.inprocess import quiet  # noqa: E402


async def measure(model: str, endpoints: str, rounds: int) -> dict:
    from rasa.core.agent import Agent, load_agent
    from rasa.core.processor import MessageProcessor
    from rasa.core.utils import AvailableEndpoints

    from bot.operations import rasa_server
    from bot.rasa_patches import server_hooks

    quiet()
    agent = await load_agent(model_path=model,
                             endpoints=AvailableEndpoints.read_endpoints(endpoints))
    rasa_server.install()
    methods = {"with": (Agent.handle_message, MessageProcessor.save_tracker),
               "without": (server_hooks.ORIGINALS["handle_message"],
                           server_hooks.ORIGINALS["save_tracker"])}
    times = {"with": [], "without": []}

    async def run(arm: str, keep: bool) -> None:
        Agent.handle_message, MessageProcessor.save_tracker = methods[arm]
        for conversation in OURS:
            sender = f"overhead-{uuid.uuid4().hex[:8]}"
            for text in conversation.turns:
                start = time.perf_counter()
                await agent.handle_text(text, sender_id=sender)
                if keep:
                    times[arm].append(time.perf_counter() - start)

    await run("with", keep=False)
    await run("without", keep=False)
    for index in range(rounds):
        for arm in (("with", "without") if index % 2 else ("without", "with")):
            await run(arm, keep=True)
    Agent.handle_message, MessageProcessor.save_tracker = methods["with"]
    return {arm: {"messages": len(values), "mean_ms": round(1000 * statistics.mean(values), 2),
                  "median_ms": round(1000 * statistics.median(values), 2)}
            for arm, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="models/triage.tar.gz")
    parser.add_argument("--endpoints", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.model, args.endpoints, args.rounds))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
