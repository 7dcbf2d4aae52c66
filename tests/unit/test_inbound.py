"""What the channels let through to the bot (bot/channels/inbound.py)."""
import pytest

from bot.channels import inbound


def test_text_is_kept_as_typed_apart_from_control_characters():
    assert inbound.message_text("my back hurts\nsince Monday") == "my back hurts\nsince Monday"
    assert inbound.message_text("a\x00b\x1bc\u202ed") == "a b c\u202ed"
    assert inbound.message_text(None) == ""


@pytest.mark.parametrize("value", [5, 1.5, True, ["hi"], {"text": "hi"}])
def test_a_message_that_is_not_text_is_refused(value):
    with pytest.raises(inbound.BadInput, match="message"):
        inbound.message_text(value)


def test_an_over_long_message_keeps_its_beginning_and_its_end():
    text = "I hurt my back on the leg press. " + "blah " * 20_000 + "and now I can't pee"
    kept = inbound.message_text(text)
    assert len(kept) <= inbound.MAX_MESSAGE_CHARS
    assert kept.startswith("I hurt my back") and kept.endswith("and now I can't pee")


@pytest.mark.parametrize("value,ok", [
    ("user-1", True), (42, True), (None, True), ("", False), ("   ", False),
    ("x" * 129, False), ("a\x00b", False), (True, False), (["a"], False), ({"a": 1}, False),
])
def test_sender_ids(value, ok):
    if ok:
        assert inbound.sender_id(value) == (None if value is None else str(value))
    else:
        with pytest.raises(inbound.BadInput):
            inbound.sender_id(value)


@pytest.mark.parametrize("value,expected", [
    ("3f2b8c1d9e0a4b5c8d7e6f5a4b3c2d1e", "3f2b8c1d9e0a4b5c8d7e6f5a4b3c2d1e"),
    ("short", None), ("' OR 1=1 --", None), ({"$ne": ""}, None), (None, None), (123, None),
])
def test_session_ids(value, expected):
    assert inbound.session_id(value) == expected
