"""Isolation through nginx, on every channel: many clients try to read, continue or erase
conversations that are not theirs, with guessed and reused ids. None may succeed.

Owners start conversations on each channel: REST (each its own JWT, the `sub` naming its
conversation), socket.io widgets (server-minted sessions, from several client addresses, so
both Rasa servers) and Telegram chats (updates signed with the webhook secret, replies to a
local stand-in of the Bot API). Then attackers try, all at once:
- REST with their own JWT, naming every owner's id (bare and with each channel's prefix), and
  with no token or a forged one; the trusted server token with the other channels' ids;
- socket.io: messages carrying an owner's handle or id without having been given it, session
  requests for an owner's id without its proof or with a forged one, then "delete my data" in
  whatever session they got;
- Telegram: updates for the owners' chats without the secret, or with a wrong one.
Then each owner speaks again. A breach is any of: an owner's conversation in PostgreSQL holding
a message the owner did not send (or missing one: erased), an attacker's request naming an
owner's conversation accepted, a session request answered with an owner's handle, a widget
receiving a reply to a message it did not send, or an attacker's reply mentioning the owners'
symptom. The count is the last line's `isolation_breaches`.
"""
import asyncio
import json
import random
import time
import uuid

import aiohttp
import jwt
import socketio

from conftest import log, rest_headers

OWNERS = 6  # per channel
SYMPTOM = "my back hurts and I have a fever"  # attackers never say "fever"
FOLLOW_UP = "/deny"


class Counter:
    def __init__(self):
        self.breaches = []
        self.attempts = 0

    def expect(self, ok: bool, what: str):
        self.attempts += 1
        if not ok:
            self.breaches.append(what)


def jwt_for(cluster, subject: str) -> dict:
    token = jwt.encode({"sub": subject, "exp": int(time.time()) + 900},
                       cluster.env["REST_JWT_SECRET"])
    return {"Authorization": f"Bearer {token}"}


async def rest(http, cluster, body, headers):
    async with http.post(f"{cluster.url}/webhooks/rest/webhook", json=body, headers=headers,
                         timeout=aiohttp.ClientTimeout(total=120)) as response:
        text = await response.text()
        return response.status, text


async def telegram(http, cluster, chat_id, text, secret):
    update = {"update_id": random.randrange(1, 2**31), "message": {
        "message_id": random.randrange(1, 2**31), "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Owner"}}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    async with http.post(f"{cluster.url}/webhooks/telegram/webhook", json=update,
                         headers=headers, timeout=aiohttp.ClientTimeout(total=120)) as response:
        return response.status


class Widget:
    def __init__(self, cluster, address):
        self.cluster, self.address = cluster, address
        self.replies = asyncio.Queue()
        self.confirmed = asyncio.Queue()
        self.handle = None

    async def connect(self):
        connector = aiohttp.TCPConnector(local_addr=(self.address, 0))
        self.http = aiohttp.ClientSession(connector=connector)
        self.sio = socketio.AsyncClient(http_session=self.http, reconnection=False)
        self.sio.on("bot_uttered", self.replies.put_nowait)
        self.sio.on("session_confirm", self.confirmed.put_nowait)
        await self.sio.connect(self.cluster.url, transports=["polling"])
        return self

    async def request(self, handle=None):
        await self.sio.emit("session_request", {"session_id": handle})
        self.handle = await asyncio.wait_for(self.confirmed.get(), 60)
        return self.handle

    async def say(self, text, wait=True):
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.handle})
        if not wait:
            return []
        got = [await asyncio.wait_for(self.replies.get(), 90)]
        await asyncio.sleep(1.0)
        return got + self.drain()

    def drain(self):
        got = []
        while not self.replies.empty():
            got.append(self.replies.get_nowait())
        return got

    async def close(self):
        if self.sio.connected:
            await self.sio.disconnect()
        await self.http.close()


async def scenario(cluster, counter: Counter):
    secret = cluster.env["TELEGRAM_WEBHOOK_SECRET"]
    tag = uuid.uuid4().hex[:6]
    rest_owners = [f"iso-{tag}-{i}" for i in range(OWNERS)]
    chat_ids = [random.randrange(10**8, 10**9) for _ in range(OWNERS)]
    sent = {}  # conversation id -> what its owner sent
    async with aiohttp.ClientSession() as http:
        # --- the owners start their conversations ------------------------------------
        widgets = [await Widget(cluster, f"127.0.0.{40 + i}").connect() for i in range(OWNERS)]

        async def rest_owner(subject):
            status, _ = await rest(http, cluster, {"message": SYMPTOM}, jwt_for(cluster, subject))
            assert status == 200, status
            sent[f"rest:{subject}"] = [SYMPTOM]

        async def widget_owner(widget):
            await widget.request()
            assert await widget.say(SYMPTOM)
            sent[f"socketio:{widget.handle.split('.')[0]}"] = [SYMPTOM]

        async def telegram_owner(chat_id):
            assert await telegram(http, cluster, chat_id, SYMPTOM, secret) == 200
            sent[f"telegram:{chat_id}"] = [SYMPTOM]

        await asyncio.gather(*(rest_owner(s) for s in rest_owners),
                             *(widget_owner(w) for w in widgets),
                             *(telegram_owner(c) for c in chat_ids))
        handles = [w.handle for w in widgets]
        sessions = [h.split(".")[0] for h in handles]
        owner_ids = (rest_owners + sessions + handles + [str(c) for c in chat_ids]
                     + [f"socketio:{s}" for s in sessions] + [f"telegram:{c}" for c in chat_ids]
                     + [f"rest:{s}" for s in rest_owners])

        # --- the attackers -------------------------------------------------------------
        async def rest_attacker(index):
            mine = jwt_for(cluster, f"iso-{tag}-attacker-{index}")
            forged = {"Authorization": "Bearer " + jwt.encode({"sub": rest_owners[0]},
                                                               "guessed-secret")}
            for target in owner_ids:
                for text in ("hello", "delete my data", "/affirm"):
                    status, _ = await rest(http, cluster, {"sender": target, "message": text},
                                           mine)
                    counter.expect(status == 403, f"REST JWT naming {target}: {status}")
                for headers in ({}, forged):
                    status, _ = await rest(http, cluster, {"sender": target, "message": "hi"},
                                           headers)
                    counter.expect(status == 401, f"REST without a valid token: {status}")
            status, reply = await rest(http, cluster, {"message": "what did I tell you?"}, mine)
            counter.expect(status == 200 and "fever" not in reply.lower(),
                           f"REST attacker's own conversation: {status} {reply[:80]}")

        async def server_client_with_guessed_ids():
            # The trusted server token names REST conversations only; other channels' ids
            # are REST senders like any other.
            for target in sessions + handles + [str(c) for c in chat_ids] \
                    + [f"socketio:{s}" for s in sessions] + [f"telegram:{c}" for c in chat_ids]:
                status, reply = await rest(http, cluster, {"sender": target, "message": "/deny"},
                                           rest_headers(cluster))
                counter.expect(status == 200 and "fever" not in reply.lower(),
                               f"REST {target}: {status} {reply[:80]}")

        async def widget_attacker(index):
            attacker = await Widget(cluster, f"127.0.0.{60 + index}").connect()
            try:
                victim = index % OWNERS
                for claimed in (handles[victim], sessions[victim]):  # never given to it
                    await attacker.sio.emit("user_uttered", {"message": "delete my data",
                                                             "session_id": claimed})
                for guess in (sessions[victim], f"{sessions[victim]}.{'A' * 43}",
                              f"{sessions[victim]}.{handles[(victim + 1) % OWNERS].split('.')[1]}",
                              f"socketio:{sessions[victim]}", handles[victim][:-1]):
                    got = await attacker.request(guess)
                    counter.expect(got not in handles, f"widget got an owner's handle for {guess}")
                    await attacker.sio.emit("user_uttered", {"message": "/affirm",
                                                             "session_id": handles[victim]})
                await asyncio.sleep(2.0)
                stray = attacker.drain()
                counter.expect(not stray, f"widget heard {len(stray)} replies it did not ask for")
                replies = await attacker.say("please delete my data")
                replies += await attacker.say("/affirm")
                counter.expect("fever" not in json.dumps(replies).lower(),
                               "a widget attacker heard an owner's symptom")
                return attacker
            except BaseException:
                await attacker.close()
                raise

        async def telegram_attacker(chat_id):
            for wrong in (None, "guessed-secret", secret[:-1]):
                for text in ("hello", "delete my data", "/affirm"):
                    status = await telegram(http, cluster, chat_id, text, wrong)
                    counter.expect(status == 403, f"Telegram update without the secret: {status}")

        results = await asyncio.gather(
            *(rest_attacker(i) for i in range(3)), server_client_with_guessed_ids(),
            *(widget_attacker(i) for i in range(OWNERS)),
            *(telegram_attacker(c) for c in chat_ids))
        attackers = [r for r in results if isinstance(r, Widget)]

        # --- the owners go on; the attackers hear nothing of it ------------------------
        for widget in widgets:
            widget.drain()

        async def widget_follow_up(widget):
            assert await widget.say(FOLLOW_UP)
            sent[f"socketio:{widget.handle.split('.')[0]}"].append(FOLLOW_UP)

        async def rest_follow_up(subject):
            status, _ = await rest(http, cluster, {"message": FOLLOW_UP},
                                   jwt_for(cluster, subject))
            assert status == 200
            sent[f"rest:{subject}"].append(FOLLOW_UP)

        async def telegram_follow_up(chat_id):
            assert await telegram(http, cluster, chat_id, FOLLOW_UP, secret) == 200
            sent[f"telegram:{chat_id}"].append(FOLLOW_UP)

        await asyncio.gather(*(widget_follow_up(w) for w in widgets),
                             *(rest_follow_up(s) for s in rest_owners),
                             *(telegram_follow_up(c) for c in chat_ids))
        await asyncio.sleep(1.0)
        for attacker in attackers:
            stray = attacker.drain()
            counter.expect(not stray, f"a widget attacker heard {len(stray)} owner replies")
        for widget in widgets + attackers:
            await widget.close()
    return sent


def test_no_client_reads_continues_or_erases_anothers_conversation(cluster, tracker_engine,
                                                                    figures):
    import sqlalchemy

    log(f"isolation: {OWNERS} owners on each of REST, socket.io and Telegram; "
        f"{3 + 1 + OWNERS + OWNERS} attacking clients with guessed and reused ids")
    counter = Counter()
    start = time.monotonic()
    sent = asyncio.run(scenario(cluster, counter))
    with tracker_engine.connect() as connection:
        rows = connection.execute(sqlalchemy.text(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' "
            "AND sender_id = ANY(:ids) ORDER BY id"), {"ids": list(sent)}).all()
    stored = {}
    for sender, data in rows:
        stored.setdefault(sender, []).append(json.loads(data).get("text"))
    for conversation, texts in sent.items():
        counter.expect(stored.get(conversation) == texts,
                       f"{conversation}: stored {stored.get(conversation)}, owner sent {texts}")
    elapsed = time.monotonic() - start
    figures["isolation_breaches"] += len(counter.breaches)
    figures["errors"] += len(counter.breaches)
    figures["users"] += len(sent)
    figures["messages"] += sum(len(t) for t in sent.values())
    figures["details"]["isolation"] = {
        "owners": len(sent), "attempts": counter.attempts, "breaches": len(counter.breaches),
        "seconds": round(elapsed, 1), "examples": counter.breaches[:5]}
    log(f"isolation: {figures['details']['isolation']}")
    assert not counter.breaches, counter.breaches[:10]
