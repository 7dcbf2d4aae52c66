"""Simulated people for the load tests: full triage conversations over REST, through nginx.

Each person sends one message, waits for the reply, sends the next. When a message gets no
proper answer (a 5xx from the load balancer because a server died, a refused connection, an
empty reply), the person first asks a Rasa server's API whether the message was stored: if it
was, the replies are read from the tracker; if not, it is sent again. So a message is never
stored twice by a retry, and the run can check that the database holds exactly what each
conversation produced.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import List, Optional

import aiohttp

from scripts.bench.conversations import MILDEST_ANSWERS

MILDEST = list(MILDEST_ANSWERS)  # the scripts below extend it as a list

TYPED = ["no", "nope", "7 out of 10", "about the same", "down my left leg", "sitting at my desk",
         "I'm 34"]

# (name, opening messages, answers until a disposition, expected disposition)
SCRIPTS = [
    ("buttons", ["hello", "I tweaked my back on the leg press"], MILDEST, "self_care"),
    ("typed", ["hi", "pins and needles in my foot since yesterday"], TYPED, "see_doctor"),
    ("red-flag-mid", ["hello", "my back is sore after leg press"],
     ["no", "wait, actually i have tingling in both legs now"], "emergency"),
    # A first "not sure" gets the question again in plainer words; the second escalates.
    ("not-sure", ["hi there", "my lower back hurts after leg day"], ["/not_sure", "/not_sure"],
     "emergency"),
]


def disposition_of(messages) -> Optional[str]:
    found = [m["custom"]["disposition"] for m in messages
             if isinstance(m.get("custom"), dict) and "disposition" in m["custom"]]
    return found[-1] if found else None


@dataclass
class Stats:
    latencies: List[float] = field(default_factory=list)
    messages: int = 0
    errors: List[str] = field(default_factory=list)
    retried: int = 0
    recovered_from_tracker: int = 0

    def p95_ms(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)


@dataclass
class Conversation:
    sender: str
    script: tuple
    sent: List[str] = field(default_factory=list)
    received: List[dict] = field(default_factory=list)  # every reply message, in order
    disposition: Optional[str] = None
    done: bool = False


class Person:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, api_urls: List[str],
                 token: str, stats: Stats, sender: str, script, retry_for: float = 90,
                 rest_token: Optional[str] = None):
        self.session = session
        # The cluster's REST webhook needs a credential (REST_AUTH=token).
        self.headers = {"Authorization": f"Bearer {rest_token}"} if rest_token else {}
        self.base_url = base_url
        self.api_urls = api_urls
        self.token = token
        self.stats = stats
        self.conversation = Conversation(sender, script)
        self.retry_for = retry_for

    async def tracker(self) -> Optional[dict]:
        for url in random.sample(self.api_urls, len(self.api_urls)):
            try:
                async with self.session.get(
                        f"{url}/conversations/rest:{self.conversation.sender}/tracker",
                        params={"token": self.token}, timeout=aiohttp.ClientTimeout(total=30)) as r:
                    if r.status == 200:
                        return await r.json()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                continue
        return None

    async def _post(self, text: str):
        body = {"sender": self.conversation.sender, "message": text}
        async with self.session.post(f"{self.base_url}/webhooks/rest/webhook", json=body,
                                     headers=self.headers,
                                     timeout=aiohttp.ClientTimeout(total=150)) as response:
            if response.status != 200:
                return None, f"HTTP {response.status}"
            replies = await response.json()
            if not replies:
                return None, "empty reply"
            return replies, None

    async def send(self, text: str) -> Optional[list]:
        """Send one message; its replies (exactly once), or None after retries ran out."""
        conv = self.conversation
        start = time.monotonic()
        deadline = start + self.retry_for
        attempt = 0
        problem = None
        while time.monotonic() < deadline:
            attempt += 1
            if attempt > 1:
                self.stats.retried += 1
                await asyncio.sleep(min(2.0, 0.5 * attempt))
                stored = await self._stored_replies(text)
                if stored is not None:
                    self.stats.recovered_from_tracker += 1
                    return self._accept(text, stored, start)
            try:
                replies, problem = await self._post(text)
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                replies, problem = None, type(error).__name__
            if replies is not None:
                return self._accept(text, replies, start)
        self.stats.errors.append(f"{conv.sender}: no reply to message {len(conv.sent) + 1} "
                                 f"after {attempt} attempts ({problem})")
        return None

    async def _stored_replies(self, text: str) -> Optional[list]:
        """The replies of this message if the server stored it before failing, else None."""
        tracker = await self.tracker()
        if tracker is None:
            return None
        events = tracker.get("events", [])
        users = [i for i, e in enumerate(events) if e.get("event") == "user"]
        if len(users) <= len(self.conversation.sent):
            return None  # not stored: send it again
        last = users[-1]
        if events[last].get("text") != text:
            return None
        # the turn is complete once the bot listens again
        if not any(e.get("event") == "action" and e.get("name") == "action_listen"
                   for e in events[last + 1:]):
            return None
        return [{"recipient_id": self.conversation.sender, "text": e.get("text"),
                 **({"custom": e["data"]["custom"]} if (e.get("data") or {}).get("custom")
                    else {})}
                for e in events[last + 1:] if e.get("event") == "bot"]

    def _accept(self, text: str, replies: list, start: float) -> list:
        self.stats.latencies.append(time.monotonic() - start)
        self.stats.messages += 1
        self.conversation.sent.append(text)
        self.conversation.received.extend(replies)
        return replies

    async def run(self, think_time: float = 0.0) -> Conversation:
        name, opening, answers, expected = self.conversation.script
        conv = self.conversation
        for text in opening + answers:
            replies = await self.send(text)
            if replies is None:
                return conv
            found = disposition_of(replies)
            if found:
                conv.disposition = found
                break
            if think_time:
                await asyncio.sleep(random.uniform(0, think_time))
        if conv.disposition != expected:
            self.stats.errors.append(f"{conv.sender} ({name}): disposition {conv.disposition!r}, "
                                     f"expected {expected!r}")
        if await self.send("thanks") is not None:
            conv.done = True
        return conv


def check_against_database(engine, conversations: List[Conversation]) -> dict:
    """Compare what each conversation sent and received with its rows in `events`."""
    import sqlalchemy

    senders = [f"rest:{c.sender}" for c in conversations]  # the REST channel's namespace
    rows = {}
    with engine.connect() as connection:
        for start in range(0, len(senders), 200):
            chunk = senders[start:start + 200]
            result = connection.execute(sqlalchemy.text(
                "SELECT sender_id, type_name, timestamp, data FROM events "
                "WHERE sender_id = ANY(:senders) ORDER BY id"), {"senders": chunk})
            for sender, type_name, timestamp, data in result:
                rows.setdefault(sender, []).append((type_name, timestamp, data))
    lost = duplicated = 0
    problems = []
    for conv in conversations:
        stored = rows.get(f"rest:{conv.sender}", [])
        keys = [(t, ts, d) for t, ts, d in stored]
        repeats = len(keys) - len(set(keys))
        user_texts = [json.loads(d).get("text") for t, _, d in stored if t == "user"]
        bot_texts = [part for t, _, d in stored if t == "bot"
                     for part in message_parts(json.loads(d))]
        got = [part for m in conv.received for part in message_parts(m)]
        missing_user = _missing(conv.sent, user_texts)
        extra_user = _missing(user_texts, conv.sent)
        missing_bot = _missing(got, bot_texts)
        extra_bot = _missing(bot_texts, got)
        lost += missing_user + missing_bot
        duplicated += repeats + extra_user + extra_bot
        if missing_user or extra_user or missing_bot or extra_bot or repeats:
            problems.append(f"{conv.sender}: user -{missing_user}/+{extra_user}, "
                            f"bot -{missing_bot}/+{extra_bot}, repeated rows {repeats}")
        # Turn structure: every stored turn ends with the bot listening again.
        listens = sum(1 for t, _, d in stored
                      if t == "action" and json.loads(d).get("name") == "action_listen")
        if listens < len(user_texts):
            problems.append(f"{conv.sender}: {len(user_texts)} messages but {listens} listens")
    return {"events_lost": lost, "events_duplicated": duplicated, "problems": problems,
            "rows": sum(len(v) for v in rows.values())}


def message_parts(message: dict) -> list:
    """A bot message as the channels send it: text split at blank lines, then the payload.

    One response (one `bot` event in the tracker) reaches a REST client as several messages:
    Rasa's output channels send each paragraph separately, and a custom payload on its own.
    """
    parts = []
    text = message.get("text")
    if text:
        parts += [part.strip() for part in text.strip().split("\n\n")]
    custom = message.get("custom") or (message.get("data") or {}).get("custom")
    if custom:
        parts.append("custom:" + json.dumps(custom, sort_keys=True))
    return parts


def _missing(expected: list, actual: list) -> int:
    """How many items of `expected` are not matched, in order, in `actual` (via LCS)."""
    import difflib

    matcher = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return len(expected) - matched
