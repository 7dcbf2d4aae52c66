"""Check-ins (issue 16): "how is your back now?", days after self-care or see-a-doctor advice.

A job table in the records database, not Rasa's reminders: Rasa 3.6 keeps a
`ReminderScheduled` as an APScheduler job in memory only (rasa/core/jobs.py builds an
AsyncIOScheduler with no job store), so a restart of the server loses it; and with two Rasa
servers each would keep its own. Here a check-in is a row (under the conversation's pseudonym)
that survives restarts, and is delivered once however many servers look for due ones:

- `claim` moves a due row from `scheduled` to `sending` with a guarded UPDATE
  (`... WHERE id = :id AND state = 'scheduled'`): of two servers that both read it, only the one
  whose UPDATE changed the row delivers it. On PostgreSQL the read is also
  `SELECT ... FOR UPDATE SKIP LOCKED`, so a second server skips rows the first is claiming
  instead of waiting; SQLite has one writer at a time, which gives the same result.
- `mark_sent` after delivery. A server that dies between claim and delivery leaves the row in
  `sending`; after LEASE it may be claimed again (delivered at least once, never lost).
- The person's answer is kept on the row (better, same, worse, or red_flag when the answer
  told of a warning sign: bot.clinical.checkin) for staff (`python -m bot
  checkins list`, `cases show`). "Stop check-ins" cancels; "delete my data" deletes the rows.

Every function takes `now`, so tests move the clock instead of sleeping.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Sequence

from sqlalchemy import Column, DateTime, Integer, String, delete, select, update
from sqlalchemy.orm import Session

from bot.storage.records import Base, as_utc, clean  # noqa: F401 (as_utc for callers)

SCHEDULED, SENDING, SENT, ANSWERED, CANCELLED = "scheduled", "sending", "sent", "answered", \
    "cancelled"
STATES = (SCHEDULED, SENDING, SENT, ANSWERED, CANCELLED)
LEASE = timedelta(minutes=10)
# Channels where the bot can write first; the others get their check-in when the person is back.
PUSH_CHANNELS = ("telegram",)


class CheckIn(Base):
    __tablename__ = "checkins"

    id = Column(Integer, primary_key=True)
    conversation_key = Column(String(64), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    # Where a push channel delivers (telegram:<chat id>); empty for channels that wait for the
    # person to come back (they are found by the pseudonym of the conversation).
    recipient = Column(String(128), nullable=True)
    disposition = Column(String(16), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    due_at = Column(DateTime(timezone=True), nullable=False, index=True)
    state = Column(String(16), nullable=False, index=True)
    claim = Column(String(36), nullable=True)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    sent_at = Column(DateTime(timezone=True), nullable=True)
    answer = Column(String(16), nullable=True)
    answered_at = Column(DateTime(timezone=True), nullable=True)

    def as_dict(self) -> dict:
        def moment(value):
            return as_utc(value).isoformat() if value else None
        return {"id": self.id, "conversation_key": self.conversation_key,
                "channel": self.channel, "disposition": self.disposition,
                "created_at": moment(self.created_at), "due_at": moment(self.due_at),
                "state": self.state, "sent_at": moment(self.sent_at), "answer": self.answer,
                "answered_at": moment(self.answered_at)}


def _now(now: Optional[datetime]) -> datetime:
    return now or datetime.now(timezone.utc)


def schedule(session: Session, *, conversation_key: str, channel: str, disposition: str,
             after: timedelta, recipient: Optional[str] = None,
             now: Optional[datetime] = None) -> CheckIn:
    """One pending check-in per conversation: a new one replaces one not yet sent."""
    now = _now(now)
    cancel(session, conversation_key, states=(SCHEDULED,))
    row = CheckIn(conversation_key=conversation_key, channel=clean(channel or "unknown", 32),
                  recipient=clean(recipient, 128) if recipient else None,
                  disposition=disposition, created_at=now, due_at=now + after, state=SCHEDULED)
    session.add(row)
    session.flush()
    return row


def cancel(session: Session, conversation_key: str,
           states: Sequence[str] = (SCHEDULED, SENDING)) -> int:
    result = session.execute(update(CheckIn).where(
        CheckIn.conversation_key == conversation_key, CheckIn.state.in_(states))
        .values(state=CANCELLED))
    return result.rowcount or 0


def _claimable(now: datetime):
    return ((CheckIn.state == SCHEDULED) & (CheckIn.due_at <= now)) | \
        ((CheckIn.state == SENDING) & (CheckIn.claimed_at <= now - LEASE))


def claim(session: Session, *, now: Optional[datetime] = None,
          conversation_key: Optional[str] = None, push_only: bool = False,
          limit: int = 20) -> List[CheckIn]:
    """Due check-ins this caller now owns (state `sending`); no other caller gets them."""
    now = _now(now)
    query = select(CheckIn.id).where(_claimable(now)).order_by(CheckIn.due_at).limit(limit)
    if conversation_key is not None:
        query = query.where(CheckIn.conversation_key == conversation_key)
    if push_only:
        query = query.where(CheckIn.channel.in_(PUSH_CHANNELS), CheckIn.recipient.isnot(None))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.execute(query).scalars())
    token = str(uuid.uuid4())
    owned = []
    for row_id in ids:
        changed = session.execute(
            update(CheckIn).where(CheckIn.id == row_id, _claimable(now))
            .values(state=SENDING, claim=token, claimed_at=now)).rowcount
        if changed == 1:
            owned.append(row_id)
    session.flush()
    if not owned:
        return []
    return list(session.execute(select(CheckIn).where(CheckIn.id.in_(owned))
                                .order_by(CheckIn.due_at)).scalars())


def mark_sent(session: Session, row_id: int, now: Optional[datetime] = None) -> None:
    session.execute(update(CheckIn).where(CheckIn.id == row_id, CheckIn.state == SENDING)
                    .values(state=SENT, sent_at=_now(now)))


def release(session: Session, row_id: int) -> None:
    """Delivery failed: due again at the next look."""
    session.execute(update(CheckIn).where(CheckIn.id == row_id, CheckIn.state == SENDING)
                    .values(state=SCHEDULED, claim=None, claimed_at=None))


def unsend(session: Session, row_id: int) -> None:
    """Marked sent, but the bot could not handle it: due again at the next look."""
    session.execute(update(CheckIn).where(CheckIn.id == row_id, CheckIn.state == SENT)
                    .values(state=SCHEDULED, claim=None, claimed_at=None, sent_at=None))


def open_for(session: Session, conversation_key: str) -> Optional[CheckIn]:
    """The check-in sent to this conversation and not yet answered, if any."""
    return session.execute(select(CheckIn).where(
        CheckIn.conversation_key == conversation_key, CheckIn.state == SENT)
        .order_by(CheckIn.sent_at.desc()).limit(1)).scalar_one_or_none()


def record_answer(session: Session, row_id: int, answer: str,
                  now: Optional[datetime] = None) -> None:
    session.execute(update(CheckIn).where(CheckIn.id == row_id)
                    .values(state=ANSWERED, answer=clean(answer, 16), answered_at=_now(now)))


def pending_for(session: Session, conversation_key: str) -> Optional[CheckIn]:
    return session.execute(select(CheckIn).where(
        CheckIn.conversation_key == conversation_key, CheckIn.state == SCHEDULED)
        .limit(1)).scalar_one_or_none()


def find(session: Session, states: Optional[Sequence[str]] = None,
         conversation_key: Optional[str] = None) -> List[CheckIn]:
    query = select(CheckIn).order_by(CheckIn.due_at, CheckIn.id)
    if states:
        query = query.where(CheckIn.state.in_(states))
    if conversation_key:
        query = query.where(CheckIn.conversation_key == conversation_key)
    return list(session.execute(query).scalars())


def erase_conversation(session: Session, conversation_key: str) -> int:
    result = session.execute(delete(CheckIn).where(CheckIn.conversation_key == conversation_key))
    return result.rowcount or 0


def purge_before(session: Session, cutoff: datetime) -> int:
    """Check-ins made before the cutoff that are finished (answered, cancelled, or sent long
    ago); scheduled ones stay until they are due."""
    result = session.execute(delete(CheckIn).where(
        CheckIn.created_at < cutoff, CheckIn.state.in_((ANSWERED, CANCELLED, SENT))))
    return result.rowcount or 0
