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
    ("user-1", True), (42, True), (None, False), ("", False), ("   ", False),
    ("x" * 129, False), ("a\x00b", False), (True, False), (["a"], False), ({"a": 1}, False),
])
def test_sender_ids(value, ok):
    if ok:
        assert inbound.sender_id(value) == str(value)
    else:
        with pytest.raises(inbound.BadInput):
            inbound.sender_id(value)


def test_a_missing_sender_is_refused_with_a_reason_not_put_in_a_shared_conversation():
    with pytest.raises(inbound.BadInput, match="'sender' is required"):
        inbound.sender_id(None)


def test_each_channel_has_its_own_id_space():
    ids = {inbound.conversation_id(channel, "4242") for channel in ("rest", "socketio",
                                                                     "telegram")}
    assert ids == {"rest:4242", "socketio:4242", "telegram:4242"}
    # A REST sender that spells another channel's id stays in the REST space.
    assert inbound.conversation_id("rest", "telegram:4242") != "telegram:4242"
    assert inbound.conversation_id("rest", "telegram:4242").startswith("rest:")


def test_metadata_keeps_only_allowed_short_plain_values():
    given = {"language": "en-GB", "tracker": {"events": ["x"] * 10}, "slots": {"a": 1},
             "utm": "campaign"}
    assert inbound.metadata(given) == {"language": "en-GB"}
    assert inbound.metadata({"language": "x" * 65}) == {}
    assert inbound.metadata({"language": ["en"]}) == {}
    assert inbound.metadata(None) == {}


def test_metadata_larger_than_the_cap_is_refused():
    with pytest.raises(inbound.BadInput, match="at most"):
        inbound.metadata({"language": "en", "padding": "x" * inbound.MAX_METADATA_BODY_CHARS})
    assert inbound.metadata_or_nothing({"padding": "x" * 10_000, "language": "en"}) == {}
    with pytest.raises(inbound.BadInput):
        inbound.metadata([1, 2])
