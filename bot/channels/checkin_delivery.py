"""Delivering due check-ins (issue 16) through the channels, once.

A due check-in becomes the message "/checkin_due" in its conversation, handled by the bot like
any message (the rules answer it with the question "How is your back now?"), with the channel's
own output, so the question reaches the person the way every reply does:

- Telegram can write first: `poll` runs in every Rasa server that has the channel, and looks
  for due check-ins every CHECKIN_POLL seconds (default 30). Each is claimed once in the
  records database (bot.storage.checkins), so with two servers only one sends it.
- REST and the shell cannot reach a person who is not there: `before_message` shows a due
  check-in when the same sender writes next, before their message is answered (a red flag in
  that message is still read and triaged, after the question). That message is marked
  (metadata ASKED_JUST_BEFORE): it was written before the question was shown, so when it
  does not answer the question, the question is not asked a second time in the same reply
  (actions/validate_checkin_form.py). The shell's channel is bot.channels.shell.
- The website's widget cannot be reached when its page is closed: when the same person comes
  back (the widget resumes its session), the socket.io channel calls `before_message` with
  the resumed conversation, and the check-in shows at once.

The question is marked sent before it is handled, so that the action that words it finds it;
if handling fails, it is scheduled again. Nothing about the person is logged.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage

from bot import settings
from bot.storage import checkins, database
from bot.storage.records_access import RecordsAccess

logger = logging.getLogger(__name__)

TRIGGER = "/checkin_due"
# Metadata of a message that followed a check-in delivered just before it (same name in
# actions/validate_checkin_form.py, which the action server reads).
ASKED_JUST_BEFORE = "checkin_asked_just_before"


class CheckInDelivery(RecordsAccess):
    def __init__(self, url: Optional[str] = None, clock=None):
        super().__init__(url)
        self._clock = clock

    def _now(self):
        return self._clock() if self._clock else None

    def claim_for(self, conversation_id: str) -> Optional[int]:
        """A due check-in of this conversation, claimed and marked sent; None if none."""
        with database.unit_of_work(self.engine()) as session:
            claimed = checkins.claim(session, now=self._now(),
                                     conversation_key=self.key_of(conversation_id), limit=1)
            for row in claimed:
                checkins.mark_sent(session, row.id, now=self._now())
            return claimed[0].id if claimed else None

    def claim_push(self) -> List[tuple]:
        """(id, recipient) of due check-ins of channels that can write first, marked sent."""
        with database.unit_of_work(self.engine()) as session:
            claimed = checkins.claim(session, now=self._now(), push_only=True)
            for row in claimed:
                checkins.mark_sent(session, row.id, now=self._now())
            return [(row.id, row.recipient) for row in claimed]

    def unsend(self, row_id: int) -> None:
        with database.unit_of_work(self.engine()) as session:
            checkins.unsend(session, row_id)

    async def deliver(self, row_id: int, conversation_id: str, channel: str,
                      output: OutputChannel,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> bool:
        try:
            await on_new_message(UserMessage(TRIGGER, output, conversation_id,
                                             input_channel=channel))
            return True
        except Exception as error:  # noqa: BLE001 - due again at the next look
            logger.error("check-in not delivered (%s); scheduled again", type(error).__name__)
            await asyncio.to_thread(self.unsend, row_id)
            return False

    async def before_message(self, conversation_id: str, channel: str, output: OutputChannel,
                             on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> bool:
        """Show a due check-in of this conversation first (REST, shell, a returning widget);
        True when one was shown."""
        try:
            row_id = await asyncio.to_thread(self.claim_for, conversation_id)
        except Exception as error:  # noqa: BLE001 - the person's own message comes first
            logger.error("check-ins not read (%s)", type(error).__name__)
            return False
        if row_id is None:
            return False
        return await self.deliver(row_id, conversation_id, channel, output, on_new_message)

    async def poll(self, channel: str, output: Callable[[], OutputChannel],
                   on_new_message: Callable[[UserMessage], Awaitable[Any]],
                   interval: Optional[float] = None) -> None:
        """Forever: send due check-ins of a channel that can write first (Telegram)."""
        interval = interval or poll_interval()
        while True:
            try:
                due = await asyncio.to_thread(self.claim_push)
                for row_id, recipient in due:
                    await self.deliver(row_id, recipient, channel, output(), on_new_message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a database restart: try again later
                logger.error("check-ins not read (%s)", type(error).__name__)
            await asyncio.sleep(interval)


def poll_interval(environ=os.environ) -> float:
    raw = environ.get("CHECKIN_POLL", "").strip() or "30"
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if not 0.1 <= value <= 3600:
        raise settings.ConfigurationError(
            f"CHECKIN_POLL must be a number of seconds from 0.1 to 3600; got {raw!r}")
    return value
