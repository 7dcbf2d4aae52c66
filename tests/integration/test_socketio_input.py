"""The widget's socket.io channel against hostile and broken input, with a real client.

Whatever arrives, the server stays up, answers sensibly where it can, and the person's
conversation goes on where it was.
"""
import asyncio
import re
import uuid

import pytest
import socketio

from tests.conftest import EMERGENCY_NUMBER, WIDGET_ORIGIN, Chat
from tests.integration.turns import TIMEOUT, finished_turn, socketio_messages, widget_chat

REPLY_WAIT = TIMEOUT


class WidgetClient:
    """What rasa-webchat does: connect, ask for a session, send user_uttered events."""

    def __init__(self, url, origin=WIDGET_ORIGIN):
        self.url, self.origin = url, origin
        self.session = uuid.uuid4().hex
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies = asyncio.Queue()
        self.sio.on("bot_uttered", self.replies.put_nowait)
        self.turns = 0  # user messages of this session that the bot has handled

    async def __aenter__(self):
        # Long-polling: this python-engineio needs a newer aiohttp for websockets; the
        # browser test covers the widget's websocket.
        await self.sio.connect(self.url, headers={"Origin": self.origin},
                               transports=["polling"], wait_timeout=20)
        confirmed = asyncio.get_running_loop().create_future()
        self.sio.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
        await self.sio.emit("session_request", {"session_id": self.session})
        self.session = await asyncio.wait_for(confirmed, REPLY_WAIT)
        return self

    async def __aexit__(self, *_):
        await self.sio.disconnect()

    async def send(self, data, expect_reply=True):
        """Send one event; with `expect_reply`, every message of the turn it starts, once
        the server has stored that turn. Without, nothing is waited for: a payload that
        belongs to no conversation starts no turn (the next reply shows it)."""
        while not self.replies.empty():
            self.replies.get_nowait()
        await self.sio.emit("user_uttered", data)
        if not expect_reply:
            return []
        bot_events = await asyncio.get_running_loop().run_in_executor(
            None, finished_turn, self.url, self.session, self.turns)
        self.turns += 1
        expected = socketio_messages(bot_events)
        replies = []
        while len(replies) < expected:
            replies.append(await asyncio.wait_for(self.replies.get(), REPLY_WAIT))
        return replies

    async def say(self, text):
        return await self.send({"message": text, "session_id": self.session})


def user_messages(client) -> int:
    events = widget_chat(client.url, client.session).tracker()["events"]
    return sum(1 for event in events if event.get("event") == "user")


def texts(replies):
    return " ".join(r.get("text", "") for r in replies if isinstance(r, dict))


def test_bad_payloads_never_break_the_conversation(rasa_server):
    async def scenario():
        async with WidgetClient(rasa_server) as client:
            first = await client.say("my lower back hurts after leg press")
            assert any(r.get("quick_replies") for r in first)  # the first screen, buttons
            session = client.session
            for payload in ({"message": 12345, "session_id": session},
                            {"message": {"nested": [[[[{"deep": 1}]]]]}, "session_id": session},
                            {"message": None, "session_id": session},
                            {"message": b"\xff\xfe\x00binary", "session_id": session},
                            {"message": "", "session_id": session},
                            {"message": "\x00\x01\x02 \u202e", "session_id": session}):
                assert await client.send(payload), f"no reply to {payload!r}"
            # Payloads that cannot belong to a conversation are dropped without a crash.
            for payload in ("just a string", [1, 2, 3], 42, None,
                            {"message": "hi", "session_id": {"$ne": ""}},
                            {"message": "hi", "session_id": "' OR 1=1 --"}):
                await client.send(payload, expect_reply=False)
            huge = await client.say("my back " * 12_800)  # about 100 KB
            assert huge
            # None of them became a turn of this conversation: the next message is exactly
            # one more user message in its tracker.
            assert user_messages(client) == client.turns
            markup = await client.say("<script>alert(1)</script><img src=x onerror=alert(2)>")
            assert "<script>" not in texts(markup)
            # The triage is still where it was: "no" moves on to the same-day signs.
            after = await client.say("no")
            assert "fever" in texts(after).lower()
    asyncio.run(scenario())


def test_an_emergency_reaches_the_widget_as_a_custom_payload(rasa_server):
    async def scenario():
        async with WidgetClient(rasa_server) as client:
            replies = await client.say("leg press yesterday and now i cant feel my groin")
            custom = [r["custom"] for r in replies if isinstance(r, dict) and "custom" in r]
            assert len(custom) == 1 and custom[0]["disposition"] == "emergency"
            assert custom[0]["emergency_number"] == EMERGENCY_NUMBER
            # The handover summary's link (issue 16): a path with a random token, nothing else.
            assert re.fullmatch(r"/summary/[A-Za-z0-9_-]{43}", custom[0]["summary_url"])
            assert set(custom[0]) == {"disposition", "emergency_number", "summary_url"}
    asyncio.run(scenario())


def test_a_site_not_in_the_allowed_origins_cannot_connect(rasa_server):
    async def scenario():
        with pytest.raises(socketio.exceptions.ConnectionError):
            async with WidgetClient(rasa_server, origin="https://evil.example.com"):
                pass
    asyncio.run(scenario())
