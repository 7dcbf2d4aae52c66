"""Triage records: one row per recommendation the bot gives.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triage_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("conversation_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disposition", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("red_flags", sa.JSON, nullable=False),
        sa.Column("symptoms", sa.JSON, nullable=False),
        sa.Column("rules_version", sa.String(32), nullable=False),
    )
    op.create_index("ix_triage_records_conversation_key", "triage_records", ["conversation_key"])
    op.create_index("ix_triage_records_created_at", "triage_records", ["created_at"])
    op.create_index("ix_triage_records_disposition", "triage_records", ["disposition"])


def downgrade() -> None:
    op.drop_index("ix_triage_records_disposition", table_name="triage_records")
    op.drop_index("ix_triage_records_created_at", table_name="triage_records")
    op.drop_index("ix_triage_records_conversation_key", table_name="triage_records")
    op.drop_table("triage_records")
