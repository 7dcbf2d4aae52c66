"""The staff console: staff accounts and sessions, failed logins, the audit trail, annotations,
tags, reviews, and the console's index of the conversations (one row per conversation).

Revision ID: 0002_staff_console
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_staff_console"
down_revision = "0001"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer,
                  sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "staff_login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    for column in ("name", "address", "at"):
        op.create_index(f"ix_staff_login_failures_{column}", "staff_login_failures", [column])
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=True),
        sa.Column("staff_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("conversation_key", sa.String(64), nullable=True),
        sa.Column("detail", sa.String(255), nullable=False),
    )
    op.create_index("ix_staff_audit_at", "staff_audit", ["at"])
    op.create_index("ix_staff_audit_conversation_key", "staff_audit", ["conversation_key"])
    op.create_table(
        "console_annotations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("conversation_key", sa.String(64), nullable=True),
        sa.Column("event_id", sa.Integer, nullable=True),
        sa.Column("staff_id", sa.Integer, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_console_annotations_conversation_key", "console_annotations",
                    ["conversation_key"])
    op.create_table(
        "console_tags",
        sa.Column("conversation_key", sa.String(64), primary_key=True),
        sa.Column("tag", sa.String(32), primary_key=True),
        sa.Column("staff_id", sa.Integer, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_console_tags_tag", "console_tags", ["tag"])
    op.create_table(
        "console_reviews",
        sa.Column("conversation_key", sa.String(64), primary_key=True),
        sa.Column("reviewed", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_console_reviews_reviewed", "console_reviews", ["reviewed"])
    op.create_table(
        "console_conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, unique=True),
        sa.Column("conversation_key", sa.String(64), nullable=False, unique=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("last_at", WHEN, nullable=False),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("user_turns", sa.Integer, nullable=False),
        sa.Column("disposition", sa.String(16), nullable=True),
        sa.Column("red_flag", sa.Boolean, nullable=False),
        sa.Column("fell_back", sa.Boolean, nullable=False),
        sa.Column("min_confidence", sa.Float, nullable=True),
        sa.Column("abandoned_at", sa.String(32), nullable=True),
        sa.Column("turns_to_recommendation", sa.Integer, nullable=True),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "console_conversations", columns)


INDEXES = {
    "ix_console_conv_last": ["last_at", "id"],
    "ix_console_conv_started": ["started_at"],
    "ix_console_conv_disposition": ["disposition", "last_at", "id"],
    "ix_console_conv_fell_back": ["fell_back", "last_at", "id"],
    "ix_console_conv_red_flag": ["red_flag", "last_at", "id"],
    "ix_console_conv_channel": ["channel", "last_at", "id"],
    "ix_console_conv_abandoned": ["abandoned_at", "last_at", "id"],
    "ix_console_conv_confidence": ["min_confidence"],
    "ix_console_conv_last_event": ["last_event_id"],
}


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="console_conversations")
    op.drop_table("console_conversations")
    op.drop_index("ix_console_reviews_reviewed", table_name="console_reviews")
    op.drop_table("console_reviews")
    op.drop_index("ix_console_tags_tag", table_name="console_tags")
    op.drop_table("console_tags")
    op.drop_index("ix_console_annotations_conversation_key", table_name="console_annotations")
    op.drop_table("console_annotations")
    op.drop_index("ix_staff_audit_conversation_key", table_name="staff_audit")
    op.drop_index("ix_staff_audit_at", table_name="staff_audit")
    op.drop_table("staff_audit")
    for column in ("name", "address", "at"):
        op.drop_index(f"ix_staff_login_failures_{column}", table_name="staff_login_failures")
    op.drop_table("staff_login_failures")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
