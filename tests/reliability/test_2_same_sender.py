"""Several messages of one person at the same moment, spread over both Rasa servers: the
Redis lock store has them handled one after the other, each reply going to its own request."""
import asyncio
import json
import uuid

import aiohttp

from conftest import log, rest_headers
from rel_client import message_parts

# Messages whose replies can be told apart, all sent at once for one sender.
MESSAGES = {
    "hello": "automated guide",
    "thanks": "You're welcome",
    "are you a bot?": "automated assistant",
    "what are the warning signs?": "999",
    "bye": "Take care",
    "can I talk to a human?": "can't connect you to a person",
}
SENDERS = 12


async def burst(cluster, sender):
    async with aiohttp.ClientSession() as session:
        async def send(text):
            async with session.post(f"{cluster.url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": text},
                                    headers=rest_headers(cluster),
                                    timeout=aiohttp.ClientTimeout(total=180)) as response:
                return text, response.status, await response.json()

        return await asyncio.gather(*(send(text) for text in MESSAGES))


def test_concurrent_messages_of_one_sender_are_handled_one_at_a_time(
        cluster, tracker_engine, figures):
    import sqlalchemy

    log(f"same sender: {SENDERS} people each send {len(MESSAGES)} messages at the same moment")
    senders = [f"burst-{i}-{uuid.uuid4().hex[:8]}" for i in range(SENDERS)]

    async def everyone():
        return await asyncio.gather(*(burst(cluster, s) for s in senders))

    results = asyncio.run(everyone())
    problems = []
    for sender, replies in zip(senders, results):
        for text, status, messages in replies:
            joined = " ".join(m.get("text") or "" for m in messages)
            if status != 200 or MESSAGES[text].lower() not in joined.lower():
                problems.append(f"{sender}: {text!r} got {status} {joined[:80]!r}")
        with tracker_engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text(
                "SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": f"rest:{sender}"}).all()
        events = [(kind, json.loads(data)) for kind, data in rows]
        users = [e["text"] for kind, e in events if kind == "user"]
        if sorted(users) != sorted(MESSAGES):
            problems.append(f"{sender}: stored user messages {users}")
        # No turn starts before the previous one ended with the bot listening again, and
        # the replies stored for each turn are the ones its request got.
        turn, listening = None, True
        stored_replies = {}
        for kind, event in events:
            if kind == "user":
                if not listening:
                    problems.append(f"{sender}: turn {event['text']!r} overlapped the previous")
                turn, listening = event["text"], False
                stored_replies[turn] = []
            elif kind == "bot" and turn is not None:
                stored_replies[turn] += message_parts(event)
            elif kind == "action" and event.get("name") == "action_listen":
                listening = True
        for text, status, messages in replies:
            got = [p for m in messages for p in message_parts(m)]
            if stored_replies.get(text) != got:
                problems.append(f"{sender}: reply to {text!r} differs from the stored turn")
    figures["users"] += SENDERS
    figures["messages"] += SENDERS * len(MESSAGES)
    figures["errors"] += len(problems)
    figures["details"]["same_sender"] = {"senders": SENDERS, "messages_each": len(MESSAGES),
                                         "problems": problems[:5]}
    log(f"same sender: {len(problems)} problem(s)")
    assert not problems, problems[:10]
