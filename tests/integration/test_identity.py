"""A conversation belongs to the person who started it, on every channel, against the real
server: a second client cannot read, continue or erase it by knowing or guessing its id.

socket.io: the server mints each session, binds it to the socket that asked, and resumes it
only for the holder of its handle (id + proof). REST: a sender is required, and its
conversation (`rest:<sender>`) is apart from every other channel's. The REST webhook's
authentication (REST_AUTH=token) is checked in test_security.py, Telegram's in
test_telegram.py, the widget's copy in the browser in test_widget_erasure.py.
"""
import asyncio
import json
import re
import urllib.error
import urllib.request

import socketio

from tests.conftest import WIDGET_ORIGIN

REPLY_WAIT = 30
QUIET = 2.5  # seconds in which nothing may arrive


class Widget:
    """A socket.io client doing what rasa-webchat does, or what an attacker might."""

    def __init__(self, url):
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies = asyncio.Queue()
        self.confirmed = asyncio.Queue()
        self.handle = None
        self.sio.on("bot_uttered", self.replies.put_nowait)
        self.sio.on("session_confirm", self.confirmed.put_nowait)

    async def connect(self):
        await self.sio.connect(self.url, headers={"Origin": WIDGET_ORIGIN},
                               transports=["polling"], wait_timeout=20)
        return self

    async def request_session(self, handle=None):
        await self.sio.emit("session_request", {"session_id": handle})
        self.handle = await asyncio.wait_for(self.confirmed.get(), REPLY_WAIT)
        return self.handle

    @property
    def session(self):
        return self.handle.split(".", 1)[0]

    async def emit(self, text, session_id=None):
        await self.sio.emit("user_uttered", {"message": text,
                                             "session_id": session_id or self.handle})

    async def say(self, text):
        self.drain()
        await self.emit(text)
        replies = [await asyncio.wait_for(self.replies.get(), REPLY_WAIT)]
        await asyncio.sleep(1.0)  # the rest of this turn's messages
        return replies + self.drain()

    def drain(self):
        got = []
        while not self.replies.empty():
            got.append(self.replies.get_nowait())
        return got

    async def nothing_arrives(self, seconds=QUIET):
        await asyncio.sleep(seconds)
        return self.drain() == []

    async def close(self):
        await self.sio.disconnect()


def texts(replies):
    return " ".join(r.get("text") or "" for r in replies if isinstance(r, dict))


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def post(base_url, body):
    request = urllib.request.Request(f"{base_url}/webhooks/rest/webhook",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def user_texts(base_url, conversation):
    tracker = get(f"{base_url}/conversations/{conversation}/tracker")
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


def test_the_server_mints_every_widget_session_whatever_the_client_asks(rasa_server):
    async def scenario():
        first, second = [await Widget(rasa_server).connect() for _ in range(2)]
        try:
            chosen = "3f2b8c1d9e0a4b5c8d7e6f5a4b3c2d1e"  # an id a client made up
            handles = [await w.request_session(chosen) for w in (first, second)]
            for handle in handles:
                assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}", handle), handle
                assert chosen not in handle
            assert handles[0] != handles[1]
        finally:
            await first.close()
            await second.close()
    asyncio.run(scenario())


def test_a_second_widget_cannot_read_continue_or_erase_someone_elses_conversation(rasa_server):
    async def scenario():
        owner = await Widget(rasa_server).connect()
        attacker = await Widget(rasa_server).connect()
        try:
            handle = await owner.request_session()
            first = await owner.say("my back hurts and I have a fever since leg day")
            sent = ["my back hurts and I have a fever since leg day"]
            assert first
            conversation = f"socketio:{owner.session}"

            # 1. Messages naming the owner's session from a socket that was never given it.
            await attacker.emit("/deny", session_id=handle)
            await attacker.emit("delete my data", session_id=owner.session)
            assert await attacker.nothing_arrives()
            # 2. Asking for the owner's session without its proof, or with a forged one.
            for guess in (owner.session, f"{owner.session}.{'A' * 43}",
                          f"{owner.session}.{handle.rsplit('.', 1)[-1][::-1]}", conversation):
                assert await attacker.request_session(guess) != handle
            own_handle = attacker.handle
            await attacker.emit("/deny", session_id=handle)  # bound elsewhere: dropped
            assert await attacker.nothing_arrives()
            # 3. Erasing: only the attacker's own, fresh conversation goes.
            assert "delete" in texts(await attacker.say("please delete my data")).lower()
            assert "deleted" in texts(await attacker.say("/affirm")).lower()
            assert attacker.handle == own_handle

            # The owner's conversation is whole and goes on; the attacker hears none of it.
            assert user_texts(rasa_server, conversation) == sent
            reply = await owner.say("/deny")
            sent.append("/deny")
            assert reply and "fever" not in texts(attacker.drain())
            assert await attacker.nothing_arrives(1.0)
            assert user_texts(rasa_server, conversation) == sent

            # The owner's handle, on a new socket (a reload), resumes the same conversation.
            await owner.close()
            again = await Widget(rasa_server).connect()
            try:
                assert await again.request_session(handle) == handle
                await again.say("thanks")
                assert user_texts(rasa_server, conversation) == sent + ["thanks"]
            finally:
                await again.close()
        finally:
            await attacker.close()
            if owner.sio.connected:
                await owner.close()
    asyncio.run(scenario())


def test_rest_senders_never_reach_another_channels_conversation(rasa_server):
    async def widget_conversation():
        owner = await Widget(rasa_server).connect()
        await owner.request_session()
        await owner.say("my lower back hurts after leg press")
        await owner.close()
        return owner

    owner = asyncio.run(widget_conversation())
    conversation = f"socketio:{owner.session}"
    before = user_texts(rasa_server, conversation)
    for sender in (owner.session, owner.handle, conversation):
        for text in ("/deny", "delete my data"):
            status, replies = post(rasa_server, {"sender": sender, "message": text})
            assert status == 200
            assert all(r["recipient_id"] == sender for r in replies)
        assert user_texts(rasa_server, f"rest:{sender}") == ["/deny", "delete my data"]
        status, replies = post(rasa_server, {"sender": sender, "message": "/affirm"})
        assert "deleted" in texts(replies)
    assert user_texts(rasa_server, conversation) == before


def test_rest_without_a_sender_is_refused_not_put_in_a_shared_conversation(rasa_server):
    for body in ({"message": "hello"}, {"sender": None, "message": "hello"}):
        status, reply = post(rasa_server, body)
        assert status == 400 and "sender" in reply["error"]
    assert user_texts(rasa_server, "default") == []


def test_channel_metadata_is_allow_listed_and_capped(rasa_server):
    sender = "metadata-check"
    status, _ = post(rasa_server, {"sender": sender, "message": "hello", "metadata": {
        "language": "en", "slots": {"disposition": "self_care"}, "note": "x" * 500}})
    assert status == 200
    tracker = get(f"{rasa_server}/conversations/rest:{sender}/tracker")
    assert tracker["latest_message"]["metadata"] == {"language": "en"}
    status, reply = post(rasa_server, {"sender": sender, "message": "hello",
                                       "metadata": {"language": "en", "blob": "x" * 5000}})
    assert status == 400 and "metadata" in reply["error"]
