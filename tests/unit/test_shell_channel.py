"""What bot.channels.shell relies on in Rasa 3.6, and that it puts its channel in place.

If a Rasa upgrade stops building `rasa shell`'s channel by looking "cmdline" up in
BUILTIN_CHANNELS, stops passing --conversation-id as the console's sender, or lets the REST
blueprint answer a message without the `on_new_message` it was given, these fail before the
shell quietly stops showing check-ins (tests/integration/test_shell.py shows it end to end).
"""
import argparse
import inspect

import pytest
import rasa
import rasa.cli.shell
import rasa.core.run
from rasa.core import channels
from rasa.core.channels import console
from rasa.core.channels.rest import RestInput

from bot.channels import shell


@pytest.fixture
def installed():
    stock = channels.BUILTIN_CHANNELS["cmdline"]
    shell.install()
    try:
        yield
    finally:
        channels.BUILTIN_CHANNELS["cmdline"] = stock


def test_rasa_shell_forces_the_cmdline_connector_and_takes_a_conversation_id():
    assert rasa.__version__.startswith("3.6.")
    assert 'args.connector = "cmdline"' in inspect.getsource(rasa.cli.shell.shell)
    parser = argparse.ArgumentParser()
    rasa.cli.shell.add_subparser(parser.add_subparsers(), parents=[])
    args = parser.parse_args(["shell", "--conversation-id", "alex"])
    assert args.conversation_id == "alex"


def test_the_shell_builds_our_channel_by_its_name(installed):
    built = rasa.core.run.create_http_input_channels("cmdline", None)
    assert [type(c) for c in built] == [shell.TriageCmdlineInput]
    assert built[0].name() == "cmdline" and built[0].url_prefix() == "rest"
    # a class of Rasa's channel: the console loop starts for a channel of this name
    assert isinstance(built[0], console.CmdlineInput)


def test_importing_the_module_changes_nothing_in_rasa():
    assert channels.BUILTIN_CHANNELS["cmdline"] is console.CmdlineInput


def test_the_console_writes_as_the_conversation_id_to_the_rest_webhook():
    from bot.rasa_patches import server_hooks

    # Rasa's own function (the server hooks may have wrapped it in this test session).
    source = inspect.getsource(server_hooks.ORIGINALS.get("configure_app",
                                                          rasa.core.run.configure_app))
    assert '"cmdline" in {c.name() for c in input_channels}' in source
    assert "sender_id=conversation_id" in source
    assert "/webhooks/rest/webhook" in inspect.getsource(console)
    assert "conversation_id=conversation_id" in inspect.getsource(
        rasa.core.run.serve_application)


def test_every_rest_message_goes_through_the_handler_given_to_the_blueprint():
    source = inspect.getsource(RestInput.blueprint)
    assert "self.stream_response(\n                        on_new_message," in source
    assert "await on_new_message(\n                        UserMessage(" in source
    wrapper = inspect.getsource(RestInput.on_message_wrapper)
    assert "await on_new_message(message)" in wrapper
    assert "collector = QueueOutputChannel(queue)" in wrapper
