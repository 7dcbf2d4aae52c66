"""The console's own tables (staff, sessions, audit, annotations, tags, reviews) and its index
of the conversations.

The tables live in the records database (RECORDS_DB_URL, else TRACKER_DB_URL), created by the
Alembic migration 0002_staff_console; this module only describes them for the queries.

`console_conversations` is an index of Rasa's `events` table, one row per conversation, kept
by bot/console/conversations.py: the inbox filters and pages on its indexed columns instead of
reading millions of events. It is derived data: a conversation whose events are gone (erased,
purged) loses its row, its tags, notes and review, and the annotations taken from it keep only
their text.
"""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text)

metadata = MetaData()

ROLES = ("reviewer", "admin")

staff = Table(
    "staff_accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The cookie holds a random token; only its SHA-256 is stored, so a copy of the table logs
# nobody in. Each session has its own CSRF token.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff_accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Failed logins, by account name and by client address, for the lock-out.
login_failures = Table(
    "staff_login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, index=True),
    Column("address", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

audit = Table(
    "staff_audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("staff_id", Integer, nullable=True),
    Column("staff_name", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    # The pseudonymous key of the conversation acted on; emptied when it is erased.
    Column("conversation_key", String(64), nullable=True, index=True),
    Column("detail", String(255), nullable=False, default=""),
)

# What staff chose to keep of a message: its text (possibly edited), the right intent and
# entities. The link to the conversation (pseudonym and event) is emptied on erasure.
annotations = Table(
    "console_annotations", metadata,
    Column("id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("intent", String(64), nullable=False),
    Column("entities", JSON, nullable=False),
    Column("conversation_key", String(64), nullable=True, index=True),
    Column("event_id", Integer, nullable=True),
    Column("staff_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

conversation_tags = Table(
    "console_tags", metadata,
    Column("conversation_key", String(64), primary_key=True),
    Column("tag", String(32), primary_key=True),
    Column("staff_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_tags_tag", "tag"),
)

reviews = Table(
    "console_reviews", metadata,
    Column("conversation_key", String(64), primary_key=True),
    Column("reviewed", Boolean, nullable=False, default=False),
    Column("note", Text, nullable=False, default=""),
    Column("staff_id", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_reviews_reviewed", "reviewed"),
)

conversations = Table(
    "console_conversations", metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False, unique=True),
    Column("conversation_key", String(64), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("last_event_id", Integer, nullable=False),
    Column("user_turns", Integer, nullable=False),
    Column("disposition", String(16), nullable=True),
    Column("red_flag", Boolean, nullable=False),
    Column("fell_back", Boolean, nullable=False),
    Column("min_confidence", Float, nullable=True),
    Column("abandoned_at", String(32), nullable=True),
    Column("turns_to_recommendation", Integer, nullable=True),
    # Newest first, alone and within the most used filters (keyset pagination).
    Index("ix_console_conv_last", "last_at", "id"),
    Index("ix_console_conv_started", "started_at"),
    Index("ix_console_conv_disposition", "disposition", "last_at", "id"),
    Index("ix_console_conv_fell_back", "fell_back", "last_at", "id"),
    Index("ix_console_conv_red_flag", "red_flag", "last_at", "id"),
    Index("ix_console_conv_channel", "channel", "last_at", "id"),
    Index("ix_console_conv_abandoned", "abandoned_at", "last_at", "id"),
    Index("ix_console_conv_confidence", "min_confidence"),
    # The sync's high-water mark: max(last_event_id).
    Index("ix_console_conv_last_event", "last_event_id"),
)
