"""Handover summaries (issue 16): stored facts behind a long random token that expires.

The person gets a link with a token (secrets.token_urlsafe: 256 random bits); the database keeps
only the token's SHA-256, so a copy of the database gives no working links. A summary holds ids
and the person's own words for their signs (health data): it lives in the records database and
nowhere else, goes when the person asks to delete their data (bot/storage/erasure.py), and when
it expires or is older than the retention age (`python -m bot purge`). The reference is short
for staff to look a summary up; it is not enough to open it.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import JSON, Column, DateTime, Integer, String, delete, or_, select
from sqlalchemy.orm import Session

from bot.storage.records import Base, as_utc

TOKEN_BYTES = 32
TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{43}")
# Letters and digits that cannot be misread for each other (no 0/O, 1/I/L).
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_FORMAT = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")


class Summary(Base):
    __tablename__ = "summaries"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    reference = Column(String(9), nullable=False, unique=True)
    conversation_key = Column(String(64), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)
    facts = Column(JSON, nullable=False)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_reference() -> str:
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def is_token(text: str) -> bool:
    return bool(TOKEN_FORMAT.fullmatch(text or ""))


def add(session: Session, *, conversation_key: str, facts: dict, ttl: timedelta,
        now: Optional[datetime] = None) -> Summary:
    """Store a summary; its token is returned once, as `summary.token`, and never stored."""
    now = now or datetime.now(timezone.utc)
    token = new_token()
    summary = Summary(token_hash=token_hash(token), reference=new_reference(),
                      conversation_key=conversation_key, created_at=now,
                      expires_at=now + ttl, facts=facts)
    session.add(summary)
    session.flush()
    summary.token = token
    return summary


def by_token(session: Session, token: str, now: Optional[datetime] = None) -> Optional[Summary]:
    """The summary of a well-formed, known and unexpired token, else None."""
    if not is_token(token):
        return None
    found = session.execute(select(Summary).where(Summary.token_hash == token_hash(token))) \
        .scalar_one_or_none()
    if found is None or as_utc(found.expires_at) <= (now or datetime.now(timezone.utc)):
        return None
    return found


def latest_for(session: Session, conversation_key: str,
               now: Optional[datetime] = None) -> Optional[Summary]:
    return session.execute(
        select(Summary).where(Summary.conversation_key == conversation_key,
                              Summary.expires_at > (now or datetime.now(timezone.utc)))
        .order_by(Summary.created_at.desc(), Summary.id.desc()).limit(1)).scalar_one_or_none()


def by_reference(session: Session, reference: str) -> Optional[Summary]:
    reference = (reference or "").strip().upper()
    if not REFERENCE_FORMAT.fullmatch(reference):
        return None
    return session.execute(select(Summary).where(Summary.reference == reference)) \
        .scalar_one_or_none()


def erase_conversation(session: Session, conversation_key: str) -> int:
    result = session.execute(delete(Summary).where(Summary.conversation_key == conversation_key))
    return result.rowcount or 0


def purge_before(session: Session, cutoff: datetime, now: Optional[datetime] = None) -> int:
    """Summaries made before the cutoff, and every expired one."""
    now = now or datetime.now(timezone.utc)
    result = session.execute(delete(Summary).where(
        or_(Summary.created_at < cutoff, Summary.expires_at <= now)))
    return result.rowcount or 0
