"""Triage records: one row per recommendation the bot gives, for audit and staff review.

A record holds what the triage decided and why (the level, the rule that fired, the red flags
and symptoms reported, the version of the rules), a pseudonymous conversation key and the
channel. No free text of the person is stored.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Iterable, List, Optional, Sequence

from sqlalchemy import JSON, Column, DateTime, Integer, String, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class TriageRecord(Base):
    __tablename__ = "triage_records"

    id = Column(Integer, primary_key=True)
    # Makes a retried action harmless: the same turn and level give the same key.
    idempotency_key = Column(String(64), nullable=False, unique=True)
    conversation_key = Column(String(64), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, index=True)
    disposition = Column(String(16), nullable=False, index=True)
    rule = Column(String(64), nullable=False)
    red_flags = Column(JSON, nullable=False, default=list)
    symptoms = Column(JSON, nullable=False, default=list)
    rules_version = Column(String(32), nullable=False)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "conversation_key": self.conversation_key, "channel": self.channel,
            "created_at": as_utc(self.created_at).isoformat(), "disposition": self.disposition,
            "rule": self.rule, "red_flags": list(self.red_flags or []),
            "symptoms": list(self.symptoms or []), "rules_version": self.rules_version,
        }


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def clean(text: str, length: int) -> str:
    """Text as PostgreSQL and SQLite both store it: no NUL characters, cut to the column."""
    return str(text).replace("\x00", "")[:length]


def idempotency_key(conversation_key: str, turn: str, disposition: str) -> str:
    return hashlib.sha256(f"{conversation_key}|{turn}|{disposition}".encode()).hexdigest()


def add_record(session: Session, *, conversation_key: str, turn: str, channel: str,
               disposition: str, rule: str, red_flags: Sequence[str],
               symptoms: Sequence[str], rules_version: str,
               created_at: Optional[datetime] = None) -> bool:
    """Store one record; False when this turn's record was already stored (a retry)."""
    record = TriageRecord(
        idempotency_key=idempotency_key(conversation_key, turn, disposition),
        conversation_key=conversation_key, channel=clean(channel or "unknown", 32),
        created_at=created_at or datetime.now(timezone.utc), disposition=disposition,
        rule=clean(rule, 64), red_flags=[clean(f, 64) for f in red_flags],
        symptoms=[clean(s, 64) for s in symptoms],
        rules_version=rules_version)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def erase_conversation(session: Session, conversation_key: str) -> int:
    result = session.execute(
        delete(TriageRecord).where(TriageRecord.conversation_key == conversation_key))
    return result.rowcount or 0


def purge_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(TriageRecord).where(TriageRecord.created_at < cutoff))
    return result.rowcount or 0


def find(session: Session, *, since: Optional[datetime] = None,
         until: Optional[datetime] = None, disposition: Optional[str] = None,
         channel: Optional[str] = None, limit: Optional[int] = None) -> List[TriageRecord]:
    query = select(TriageRecord).order_by(TriageRecord.created_at, TriageRecord.id)
    for condition in _filters(since, until, disposition, channel):
        query = query.where(condition)
    if limit:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def get(session: Session, record_id: int) -> Optional[TriageRecord]:
    return session.get(TriageRecord, record_id)


def counts_per_day(session: Session, *, since: Optional[datetime] = None,
                   until: Optional[datetime] = None, channel: Optional[str] = None
                   ) -> List[tuple]:
    """(day 'YYYY-MM-DD', disposition, count) rows, oldest day first."""
    rows = find(session, since=since, until=until, channel=channel)
    totals: dict = {}
    for row in rows:
        key = (as_utc(row.created_at).date().isoformat(), row.disposition)
        totals[key] = totals.get(key, 0) + 1
    return [(day, disposition, n) for (day, disposition), n in sorted(totals.items())]


def _filters(since, until, disposition, channel) -> Iterable:
    if since is not None:
        yield TriageRecord.created_at >= since
    if until is not None:
        yield TriageRecord.created_at < until
    if disposition:
        yield TriageRecord.disposition == disposition
    if channel:
        yield TriageRecord.channel == channel


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(TriageRecord)).scalar_one()
