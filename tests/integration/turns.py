"""Waiting for the bot's turn to end: a condition, not a time.

A turn has ended when the Rasa server has stored it: the conversation's tracker (Rasa's
HTTP API) holds one more user message and listens again. Its bot messages after that user
message are what the channel sends; a client waits until it has received all of them.
"""
import time

from tests.conftest import Chat

TIMEOUT = 30  # seconds; generous for a loaded machine, and only reached on a failure


def user_messages(events) -> int:
    return sum(1 for event in events if event.get("event") == "user")


def widget_conversation(handle: str) -> str:
    """The tracker key of a widget session: `socketio:<id>`, the handle being `<id>.<proof>`
    (bot/channels/socketio.py)."""
    return "socketio:" + handle.split(".", 1)[0]


def widget_chat(base_url: str, handle: str) -> Chat:
    return Chat(base_url, handle, conversation_id=widget_conversation(handle))


def finished_turn(base_url: str, handle: str, users_before: int, timeout: float = TIMEOUT):
    """The bot events of the turn that made the widget conversation's user messages exceed
    `users_before`, once it is stored; polls the API every 0.1 s."""
    sender = handle
    chat = widget_chat(base_url, handle)
    deadline = time.monotonic() + timeout
    while True:
        events = chat.tracker().get("events") or []
        done = events and events[-1].get("event") == "action" and \
            events[-1].get("name") == "action_listen"
        if done and user_messages(events) > users_before:
            last_user = max(i for i, e in enumerate(events) if e.get("event") == "user")
            return [e for e in events[last_user:] if e.get("event") == "bot"]
        if time.monotonic() > deadline:
            raise AssertionError(f"the turn of {sender} did not end in {timeout} s")
        time.sleep(0.1)


def text_parts(bot_events) -> int:
    """Text messages a channel sends for these bot events (a text is split at blank lines)."""
    return sum(len(e["text"].strip().split("\n\n")) for e in bot_events if e.get("text"))


def socketio_messages(bot_events) -> int:
    """bot_uttered events the socket.io channel emits: the text parts (or one for buttons
    alone), then one for a custom payload."""
    count = 0
    for event in bot_events:
        data = event.get("data") or {}
        if event.get("text"):
            count += len(event["text"].strip().split("\n\n"))
        elif data.get("buttons") or data.get("quick_replies"):
            count += 1
        count += 1 if data.get("custom") else 0
    return count
