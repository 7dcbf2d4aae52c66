"""What staff write in the console: annotations of messages, tags, notes and "reviewed".

Each write goes with its audit row in one transaction (the caller's connection).
"""
from __future__ import annotations

import re
from typing import List, Optional

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from bot.console import auth
from bot.console.schema import annotations, conversation_tags, reviews

SUGGESTED_TAGS = ("misunderstood", "clinically wrong", "good example", "follow up")
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9 _-]{0,31}")
ENTITY_LINE = re.compile(r"\s*([a-z_]{1,64})(?::([a-z_]{1,64}))?\s*=\s*(.+?)\s*")


class ReviewError(ValueError):
    """Input staff can fix; the message says how."""


def parse_entities(text: str, message: str) -> List[dict]:
    """`entity=phrase` or `entity:role=phrase`, one a line; each phrase must be in the text."""
    found = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        match = ENTITY_LINE.fullmatch(line)
        if not match:
            raise ReviewError(f"entities, line {number}: write entity=phrase or "
                              f"entity:role=phrase (for example red_flag=numb groin)")
        entity, role, phrase = match.groups()
        if phrase.lower() not in message.lower():
            raise ReviewError(f"entities, line {number}: {phrase!r} is not in the message text")
        found.append({"entity": entity, "role": role, "phrase": phrase})
    return found


def annotate(connection: Connection, member: auth.Staff, *, conversation_key: str,
             event_id: int, text: str, intent: str, entities_text: str,
             intents: List[str]) -> int:
    text = " ".join((text or "").split())
    if not text:
        raise ReviewError("the text to keep is empty")
    if intent not in intents:
        raise ReviewError(f"{intent!r} is not an intent of the domain")
    entities = parse_entities(entities_text, text)
    result = connection.execute(insert(annotations).values(
        text=text[:2000], intent=intent, entities=entities, conversation_key=conversation_key,
        event_id=event_id, staff_id=member.id, created_at=auth.now()))
    auth.record(connection, member, "annotate", conversation_key, f"intent {intent}")
    return result.inserted_primary_key[0]


def annotations_of(connection: Connection, conversation_key: str) -> dict:
    """{event id: latest annotation row} for one conversation."""
    rows = connection.execute(select(annotations).where(
        annotations.c.conversation_key == conversation_key).order_by(annotations.c.id))
    return {row.event_id: row for row in rows}


def all_annotations(connection: Connection) -> list:
    return list(connection.execute(select(annotations).order_by(annotations.c.id)))


def clean_tag(tag: str) -> str:
    tag = " ".join((tag or "").lower().split())
    if not TAG_PATTERN.fullmatch(tag):
        raise ReviewError("a tag is 1 to 32 lower-case letters, digits, spaces, - or _")
    return tag


def add_tag(connection: Connection, member: auth.Staff, key: str, tag: str) -> None:
    tag = clean_tag(tag)
    if connection.execute(select(conversation_tags.c.tag).where(
            conversation_tags.c.conversation_key == key,
            conversation_tags.c.tag == tag)).first() is None:
        connection.execute(insert(conversation_tags).values(
            conversation_key=key, tag=tag, staff_id=member.id, created_at=auth.now()))
    auth.record(connection, member, "tag", key, tag)


def remove_tag(connection: Connection, member: auth.Staff, key: str, tag: str) -> None:
    connection.execute(delete(conversation_tags).where(
        conversation_tags.c.conversation_key == key, conversation_tags.c.tag == tag))
    auth.record(connection, member, "untag", key, tag[:64])


def tags_of(connection: Connection, key: str) -> List[str]:
    return [r[0] for r in connection.execute(select(conversation_tags.c.tag).where(
        conversation_tags.c.conversation_key == key).order_by(conversation_tags.c.tag))]


def review_of(connection: Connection, key: str):
    return connection.execute(select(reviews).where(reviews.c.conversation_key == key)).first()


def save_review(connection: Connection, member: auth.Staff, key: str, *,
                reviewed: Optional[bool] = None, note: Optional[str] = None) -> None:
    current = review_of(connection, key)
    values = {"staff_id": member.id, "updated_at": auth.now()}
    if reviewed is not None:
        values["reviewed"] = reviewed
    if note is not None:
        values["note"] = note.strip()[:4000]
    if current is None:
        connection.execute(insert(reviews).values(
            conversation_key=key, **{"reviewed": False, "note": "", **values}))
    else:
        connection.execute(update(reviews).where(reviews.c.conversation_key == key)
                           .values(**values))
    action = "note" if note is not None else ("review" if reviewed else "unreview")
    auth.record(connection, member, action, key)
