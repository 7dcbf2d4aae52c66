"""The load generator: simulated users holding whole conversations over the REST webhook.

Each user runs its conversations one after another, each with a fresh sender id, and waits for
the reply to a message before sending the next (a person reading the answer, minus the think
time). A phase runs for a fixed time; every message sent before the deadline counts.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

from scripts.bench.conversations import Conversation, disposition_of


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Phase:
    """What one phase measured: latencies in ms, errors, and how long it took."""
    bot: str
    users: int
    latencies_ms: List[float] = field(default_factory=list)
    errors: int = 0
    error_samples: List[str] = field(default_factory=list)
    conversations: int = 0
    wrong_outcomes: int = 0
    elapsed_s: float = 0.0

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


def summarize(phases: Sequence[Phase]) -> Dict[str, float]:
    """Percentiles over every phase's messages; throughput from the summed phase times."""
    latencies = [x for p in phases for x in p.latencies_ms]
    elapsed = sum(p.elapsed_s for p in phases)
    messages = len(latencies)
    return {
        "messages": messages,
        "conversations": sum(p.conversations for p in phases),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(sum(latencies) / messages, 1) if messages else float("nan"),
        "max_ms": round(max(latencies), 1) if latencies else float("nan"),
        "throughput_msg_s": round(messages / elapsed, 2) if elapsed else 0.0,
        "errors": sum(p.errors for p in phases),
        "error_samples": [s for p in phases for s in p.error_samples][:5],
        "wrong_outcomes": sum(p.wrong_outcomes for p in phases),
        "elapsed_s": round(elapsed, 2),
    }


async def run_phase(base_url: str, conversations: Sequence[Conversation], users: int,
                    duration_s: float, bot: str, timeout_s: float = 120) -> Phase:
    """`users` simulated users talk to the bot for `duration_s` seconds."""
    import aiohttp

    phase = Phase(bot=bot, users=users)
    url = f"{base_url}/webhooks/rest/webhook"
    run_id = uuid.uuid4().hex[:8]
    clock = time.perf_counter
    deadline = clock() + duration_s

    async def send(session, sender: str, text: str):
        start = clock()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                body = await response.json(content_type=None) if response.status == 200 else None
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            phase.latencies_ms.append(1000 * (clock() - start))
            phase.error(f"{type(error).__name__}: {error}"[:200])
            return None
        phase.latencies_ms.append(1000 * (clock() - start))
        if status != 200:
            phase.error(f"HTTP {status} for {text!r}")
            return None
        if not body:
            phase.error(f"empty reply to {text!r}")
            return None
        return body

    async def user(index: int, session) -> None:
        turn_of_rotation = index  # users start on different conversations
        while clock() < deadline:
            conversation = conversations[turn_of_rotation % len(conversations)]
            turn_of_rotation += 1
            sender = f"bench-{run_id}-{index}-{turn_of_rotation}"
            reply = None
            finished = True
            for text in conversation.turns:
                if clock() >= deadline:
                    finished = False
                    break
                reply = await send(session, sender, text)
            if finished:
                phase.conversations += 1
                if conversation.disposition and disposition_of(reply) != conversation.disposition:
                    phase.wrong_outcomes += 1
                    if len(phase.error_samples) < 5:
                        phase.error_samples.append(
                            f"{conversation.name}: ended with {disposition_of(reply)!r}")

    connector = aiohttp.TCPConnector(limit=users + 2, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = clock()
        await asyncio.gather(*(user(i, session) for i in range(users)))
        phase.elapsed_s = clock() - start
    return phase


async def warm_up(base_url: str, conversations: Sequence[Conversation]) -> Phase:
    """Each conversation once, not counted: the first messages load lazily-built parts."""
    phase = Phase(bot="warm-up", users=1)
    for conversation in conversations:
        part = await _one(base_url, conversation)
        phase.errors += part.errors
        phase.error_samples += part.error_samples
    return phase


async def _one(base_url: str, conversation: Conversation) -> Phase:
    """One conversation, start to end (no deadline)."""
    import aiohttp

    phase = Phase(bot="once", users=1)
    sender = f"bench-warm-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:
        for text in conversation.turns:
            async with session.post(f"{base_url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": text}) as response:
                if response.status != 200 or not await response.json(content_type=None):
                    phase.error(f"warm-up: HTTP {response.status} or empty reply to {text!r}")
    return phase
