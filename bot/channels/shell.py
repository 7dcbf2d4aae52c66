"""The shell's channel (`make shell`): Rasa's own command-line channel, with the check-ins.

`rasa shell` runs a Rasa server whose only channel is the stock `cmdline` one
(rasa.core.channels.console.CmdlineInput: Rasa's REST channel under /webhooks/rest/), and a
console loop that posts every typed line to it as the sender `--conversation-id` (a new random
id at every start unless one is given). A check-in that fell due was never shown there: the
stock channel knows nothing of them (issue 16: "the shell gets it the next time the same
sender writes").

- TriageCmdlineInput is that channel with what the project's REST channel does before a
  message: a due check-in of the conversation is shown first (bot.channels.checkin_delivery),
  then the message is answered. Its conversations are named `cmdline:<conversation id>`, so
  the shell has its own id space like every channel of the project (bot.channels.inbound): a
  line typed into the shell cannot continue a REST, widget or Telegram conversation.
- `python -m bot.channels.shell [rasa shell options]` (scripts/shell.sh) puts it in place of
  the stock class and runs `rasa shell` in this process. scripts/shell.sh passes a
  conversation id (SHELL_CONVERSATION, a new one printed at start when not set), so a person
  can come back to the same conversation after the days have passed.

What this relies on in Rasa 3.6.21 (tests/unit/test_shell_channel.py fails when an upgrade
changes it): `rasa shell` forces the connector "cmdline" and looks it up by name in
rasa.core.channels.BUILTIN_CHANNELS (rasa.core.run._create_single_channel, at start), so the
entry replaced here is the class it builds; the console loop starts when a channel named
"cmdline" is registered and posts as `sender_id=conversation_id`; CmdlineInput's blueprint
(RestInput's) hands every message, streamed or not, to the `on_new_message` it was given,
with the channel's output channel in the message. The end-to-end test (tests/integration/
test_shell.py) runs `make shell` twice with the same conversation and sees the check-in.
"""
from __future__ import annotations

import sys
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.console import CmdlineInput
from sanic import Blueprint

from bot.channels import inbound
from bot.channels.checkin_delivery import ASKED_JUST_BEFORE, CheckInDelivery


class TriageCmdlineInput(CmdlineInput):
    """`rasa shell`'s channel, with due check-ins shown before the next message."""

    def __init__(self) -> None:
        self.checkins = CheckInDelivery()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle(message: UserMessage) -> None:
            conversation = inbound.conversation_id(self.name(), message.sender_id)
            metadata = dict(message.metadata or {})
            if await self.checkins.before_message(conversation, self.name(),
                                                  message.output_channel, on_new_message):
                metadata[ASKED_JUST_BEFORE] = True
            await on_new_message(UserMessage(message.text, message.output_channel,
                                             conversation, input_channel=self.name(),
                                             metadata=metadata))

        return super().blueprint(handle)


def install() -> None:
    """`rasa shell` builds TriageCmdlineInput where it would build the stock channel."""
    from rasa.core import channels

    channels.BUILTIN_CHANNELS[TriageCmdlineInput.name()] = TriageCmdlineInput


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # before Rasa imports TensorFlow (bot.language's docstring says why)
    from bot.language import run_rasa

    install()
    run_rasa(["shell", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
