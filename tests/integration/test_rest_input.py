"""The REST webhook against bodies that are not a message: a 400 with a reason, never a
500, and the conversation of the same sender goes on untouched."""
import json
import urllib.error
import urllib.request

import pytest


def post_raw(base_url, data: bytes, content_type="application/json"):
    request = urllib.request.Request(f"{base_url}/webhooks/rest/webhook", data=data,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("body", [
    b"", b"{not json", b"[1, 2, 3]", b'"just a string"', b"null", b"\xff\xfe\x00\x01binary",
    b'{"sender": "x", "message": 5}', b'{"sender": "x", "message": {"a": [1, {"b": 2}]}}',
    b'{"sender": ["x"], "message": "hi"}', b'{"sender": "x", "message": "hi", "metadata": 3}',
    json.dumps({"sender": "x" * 1000, "message": "hi"}).encode(),
    b"[" * 50_000 + b"]" * 50_000,
])
def test_a_body_that_is_not_a_message_gets_a_400_with_a_reason(rasa_server, body):
    status, reply = post_raw(rasa_server, body)
    assert status == 400
    assert reply["error"]


def test_a_100_kb_message_gets_a_sensible_reply_in_good_time(chat):
    import time

    chat.send("my lower back hurts after leg press")
    start = time.monotonic()
    messages = chat.send("it hurts " * 11_400)  # about 100 KB
    assert time.monotonic() - start < 15
    assert messages and all("text" in m or "custom" in m for m in messages)
    # The triage goes on where it was.
    assert chat.slot("requested_slot") in ("em_all", "ur_all")


def test_bad_bodies_leave_the_conversation_as_it_was(rasa_server, chat):
    chat.send("my lower back hurts after leg press")
    before = len(chat.tracker()["events"])
    for body in (b"{broken", json.dumps({"sender": chat.sender, "message": 7}).encode()):
        post_raw(rasa_server, body)
    assert len(chat.tracker()["events"]) == before
    assert chat.slot("requested_slot") == "em_all"
